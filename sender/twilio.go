package sender

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Twilio defaults.
const (
	defaultTwilioBaseURL     = "https://api.twilio.com"
	defaultTwilioTemplate    = "Your verification code is {code}."
	defaultTwilioPhonePrefix = "+86"
)

// TwilioConfig configures kind twilio, Twilio Programmable Messaging (config.yaml
// section "sender.twilio"). For each Send it makes
//
//	POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json
//	Authorization: Basic base64(account_sid:auth_token)
//	To={phone_prefix}{phone}&Body={template with the code}&From={from}&MessagingServiceSid={messaging_service_sid}
//
// (From and MessagingServiceSid only when set; the prefix only for a phone that does not
// start with "+"). Twilio takes no id of the caller's, so Message.ID is not sent.
//
// A 2xx answer (Twilio's 201) means sent; a 3xx or 4xx answer is a refusal (ErrRefused);
// a 5xx answer, a timeout or a lost connection is an unknown outcome. An error answer
// {"code": 21211, "message": "...", "more_info": "...", "status": 400} is quoted in the
// error, Twilio's code and message, with the phone masked and the code and the auth
// token removed.
type TwilioConfig struct {
	// AccountSID is the account's SID, "AC" and 32 hex digits. Required.
	AccountSID string `mapstructure:"account_sid"`
	// AuthToken is the account's auth token; give it through
	// GINSMS_SENDER_TWILIO_AUTH_TOKEN rather than a file. Required.
	AuthToken string `mapstructure:"auth_token"`
	// From is the sending number in E.164 form ("+15005550006") or an alphanumeric
	// sender ID. From or MessagingServiceSID is required.
	From string `mapstructure:"from"`
	// MessagingServiceSID ("MG...") lets a Messaging Service pick the sender.
	// From or MessagingServiceSID is required.
	MessagingServiceSID string `mapstructure:"messaging_service_sid"`
	// Template is the message text; it must contain {code}, replaced with the code.
	// Optional. Default: "Your verification code is {code}.".
	Template string `mapstructure:"template"`
	// PhonePrefix is put before a phone that does not start with "+", to make the E.164
	// number Twilio wants; "+" and 1 to 4 digits. Optional. Default: "+86".
	PhonePrefix string `mapstructure:"phone_prefix"`
	// BaseURL is the API's root, to be changed for a proxy or a test server.
	// Optional. Default: "https://api.twilio.com".
	BaseURL string `mapstructure:"base_url"`
}

func (c TwilioConfig) withDefaults() TwilioConfig {
	if c.Template == "" {
		c.Template = defaultTwilioTemplate
	}
	if c.PhonePrefix == "" {
		c.PhonePrefix = defaultTwilioPhonePrefix
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultTwilioBaseURL
	}
	return c
}

// validate returns one error per bad key of c, its defaults filled in.
func (c TwilioConfig) validate() []error {
	var errs []error
	if c.AccountSID == "" {
		errs = append(errs, requiredError("sender.twilio.account_sid", kindTwilio))
	}
	if c.AuthToken == "" {
		errs = append(errs, requiredError("sender.twilio.auth_token", kindTwilio))
	}
	if c.From == "" && c.MessagingServiceSID == "" {
		errs = append(errs, configError("sender.twilio.from", "required when sender.kind is twilio, unless sender.twilio.messaging_service_sid is set"))
	}
	if !strings.Contains(c.Template, "{code}") {
		errs = append(errs, configError("sender.twilio.template", "must contain {code}"))
	}
	if !validPhonePrefix(c.PhonePrefix) {
		errs = append(errs, configError("sender.twilio.phone_prefix", `must be "+" and 1 to 4 digits, got %q`, c.PhonePrefix))
	}
	if !isHTTPURL(c.BaseURL) {
		errs = append(errs, configError("sender.twilio.base_url", "must be an absolute http or https URL"))
	}
	return errs
}

func validPhonePrefix(p string) bool {
	if len(p) < 2 || len(p) > 5 || p[0] != '+' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

func newTwilioSender(cfg TwilioConfig, client *http.Client) *twilioSender {
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &twilioSender{cfg: cfg, endpoint: endpoint, client: client}
}

var _ Sender = (*twilioSender)(nil)

type twilioSender struct {
	cfg      TwilioConfig
	endpoint string
	client   *http.Client
}

// twilioError is the body of Twilio's error answers.
type twilioError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (s *twilioSender) Send(ctx context.Context, msg Message) error {
	to := msg.Phone
	if !strings.HasPrefix(to, "+") {
		to = s.cfg.PhonePrefix + msg.Phone
	}
	form := url.Values{}
	form.Set("To", to)
	form.Set("Body", strings.ReplaceAll(s.cfg.Template, "{code}", msg.Code))
	if s.cfg.From != "" {
		form.Set("From", s.cfg.From)
	}
	if s.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return refusedError("twilio", "building the request") // nothing went out; err would quote the URL
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	a, err := do(s.client, req)
	if err != nil {
		return unknownError("twilio", "%w", err)
	}
	if isSuccess(a.status) {
		return nil
	}
	detail := httpStatus(a.status)
	var e twilioError
	if json.Unmarshal(a.body, &e) == nil && (e.Code != 0 || e.Message != "") {
		phones := []string{to, msg.Phone}
		detail += fmt.Sprintf(": error %d: %s", e.Code, scrub(e.Message, phones, msg.Code, s.cfg.AuthToken))
		if e.MoreInfo != "" {
			detail += " (" + scrub(e.MoreInfo, phones, msg.Code, s.cfg.AuthToken) + ")"
		}
	}
	if a.status >= 300 && a.status <= 499 {
		return refusedError("twilio", "%s", detail)
	}
	return unknownError("twilio", "%s", detail) // 5xx: Twilio may have queued the message
}
