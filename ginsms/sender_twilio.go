package ginsms

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
	// DefaultTwilioBaseURL is Twilio's REST API.
	DefaultTwilioBaseURL = "https://api.twilio.com"
	// DefaultTwilioTemplate is the message text; {code} is replaced with the code.
	DefaultTwilioTemplate = "Your verification code is {code}."
	// DefaultTwilioPhonePrefix is put before a phone that does not start with "+", to
	// make the E.164 number Twilio wants of the mainland China numbers that the default
	// sms.phone_pattern accepts.
	DefaultTwilioPhonePrefix = "+86"
)

// TwilioConfig configures the Twilio Programmable Messaging sender (config.yaml section
// "sender.twilio"). For each code it sends
//
//	POST {base_url}/2010-04-01/Accounts/{account_sid}/Messages.json
//	Authorization: Basic base64(account_sid:auth_token)
//	To={phone_prefix}{phone}&Body={template with the code}&From={from}&MessagingServiceSid={messaging_service_sid}
//
// (From and MessagingServiceSid only when set) and counts a 2xx answer (Twilio's 201) as
// sent. An error answer {"code": 21211, "message": "...", "more_info": "...", "status": 400}
// becomes an error that wraps ErrSend and quotes Twilio's code and message, with the phone
// masked; it never holds the auth token or the SMS code.
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
	// Optional. Default: DefaultTwilioTemplate.
	Template string `mapstructure:"template"`
	// PhonePrefix is put before a phone that does not start with "+"; "+" and 1 to 4
	// digits. Optional. Default: DefaultTwilioPhonePrefix ("+86").
	PhonePrefix string `mapstructure:"phone_prefix"`
	// BaseURL is the API's root, to be changed for a proxy or a test server.
	// Optional. Default: DefaultTwilioBaseURL.
	BaseURL string `mapstructure:"base_url"`
	// HTTPClient sends the requests. Optional. Default: a client with a 5s timeout
	// (NewSender: sender.timeout) that does not follow redirects.
	HTTPClient *http.Client `mapstructure:"-"`
}

func (c TwilioConfig) withDefaults() TwilioConfig {
	if c.Template == "" {
		c.Template = DefaultTwilioTemplate
	}
	if c.PhonePrefix == "" {
		c.PhonePrefix = DefaultTwilioPhonePrefix
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultTwilioBaseURL
	}
	return c
}

func (c TwilioConfig) validate() error {
	switch {
	case c.AccountSID == "":
		return senderRequired("sender.twilio.account_sid", SenderKindTwilio)
	case c.AuthToken == "":
		return senderRequired("sender.twilio.auth_token", SenderKindTwilio)
	case c.From == "" && c.MessagingServiceSID == "":
		return configError("sender.twilio.from", "required when sender.kind is twilio, unless sender.twilio.messaging_service_sid is set")
	case !strings.Contains(c.Template, "{code}"):
		return configError("sender.twilio.template", "must contain {code}")
	case !validPhonePrefix(c.PhonePrefix):
		return configError("sender.twilio.phone_prefix", `must be "+" and 1 to 4 digits, got %q`, c.PhonePrefix)
	case !isHTTPURL(c.BaseURL):
		return configError("sender.twilio.base_url", "must be an absolute http or https URL")
	}
	return nil
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

// NewTwilioSender validates cfg and returns a sender that sends each code as an SMS
// through Twilio (see TwilioConfig).
func NewTwilioSender(cfg TwilioConfig) (Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := senderClient(cfg.HTTPClient, DefaultSenderTimeout)
	endpoint := strings.TrimRight(cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSID) + "/Messages.json"
	return &twilioSender{cfg: cfg, endpoint: endpoint, client: client}, nil
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

func (s *twilioSender) Send(ctx context.Context, phone, code string) error {
	to := phone
	if !strings.HasPrefix(to, "+") {
		to = s.cfg.PhonePrefix + phone
	}
	form := url.Values{}
	form.Set("To", to)
	form.Set("Body", strings.ReplaceAll(s.cfg.Template, "{code}", code))
	if s.cfg.From != "" {
		form.Set("From", s.cfg.From)
	}
	if s.cfg.MessagingServiceSID != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: twilio: building the request", ErrSend)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(s.cfg.AccountSID, s.cfg.AuthToken)
	status, body, err := doProviderRequest(s.client, "twilio", req)
	if err != nil {
		return err
	}
	if status >= 200 && status <= 299 {
		return nil
	}
	var e twilioError
	if json.Unmarshal(body, &e) != nil || (e.Code == 0 && e.Message == "") {
		return fmt.Errorf("%w: twilio: unexpected status %d %s", ErrSend, status, http.StatusText(status))
	}
	phones := []string{to, phone}
	msg := fmt.Sprintf("twilio: HTTP %d: error %d: %s", status, e.Code,
		scrubProviderText(e.Message, phones, code, s.cfg.AuthToken))
	if e.MoreInfo != "" {
		msg += " (" + scrubProviderText(e.MoreInfo, phones, code, s.cfg.AuthToken) + ")"
	}
	return fmt.Errorf("%w: %s", ErrSend, msg)
}
