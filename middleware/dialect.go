package middleware

// FieldAliases lists, per input, more names it is read from, after the name of
// FieldNames and in order: the first name that carries a value is read. It lets a front
// end written against another backend keep its field names (e.g. the captcha answer in
// "image_code" or "text", its uuid in "image_code_id"). Its mapstructure tags mirror
// routes.fields of config.yaml.
type FieldAliases struct {
	Phone     []string `mapstructure:"phone"`
	UUID      []string `mapstructure:"uuid"`
	ImageCode []string `mapstructure:"imgcode"`
	SMSCode   []string `mapstructure:"sms_code"`
}

// Answer is the JSON shape of the answers, for a front end that reads another backend's
// envelope: {"<CodeField>": <Codes[code]>, "<MessageField>": "<text>"}. Its zero value is
// the contract's {"code": <int>, "errormsg": "<text>"}. Whatever the shape, observers and
// metrics see the contract's code. Its mapstructure tags mirror routes.answer of
// config.yaml.
type Answer struct {
	// CodeField names the code's field. Optional. Default: "code".
	CodeField string `mapstructure:"code_field"`
	// MessageField names the text's field. Optional. Default: "errormsg".
	MessageField string `mapstructure:"message_field"`
	// Codes gives the value sent for a contract code, a string or an integer, e.g.
	// {200: "0", 4004: "4002"}. Optional. Default: the contract's code.
	Codes map[int]any `mapstructure:"codes"`
	// RefusalStatus, when not 0, is the HTTP status of every answer but success: 200 for
	// a page that reads refusals in its success handler, 400 for one that reads them from
	// a 400. It takes precedence over LegacyStatus. Optional. Default: 0, the contract's
	// statuses.
	RefusalStatus int `mapstructure:"refusal_status"`
}
