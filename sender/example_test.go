package sender_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/ginsms/ginsms/sender"
)

// A gateway of one's own plugs in as a Func in Config.Custom. It wraps ErrRefused only
// when the gateway definitely did not take the message; anything else, a hang cut short
// by Config.Timeout included, is an unknown outcome, after which the caller keeps its
// send-interval flag.
func ExampleFunc() {
	gateway := sender.Func(func(ctx context.Context, msg sender.Message) error {
		// Call the gateway here, passing ctx along; this one is simulated.
		switch msg.Phone {
		case "17000000000": // the gateway answered: number not served
			return fmt.Errorf("%w: pigeon: number not served", sender.ErrRefused)
		case "13900139000": // the gateway does not answer
			<-ctx.Done()
			return fmt.Errorf("pigeon: %w", ctx.Err())
		}
		return nil
	})

	cfg := sender.DefaultConfig()
	cfg.Custom = gateway
	cfg.Timeout = 20 * time.Millisecond
	s, err := sender.New(cfg)
	if err != nil {
		log.Fatal(err)
	}

	for i, phone := range []string{"13800138000", "17000000000", "13900139000"} {
		msg := sender.Message{Phone: phone, Code: "123456", ID: fmt.Sprintf("code-%d", i+1)}
		err := s.Send(context.Background(), msg)
		switch {
		case err == nil:
			fmt.Println(msg.ID, "sent")
		case errors.Is(err, sender.ErrRefused):
			fmt.Println(msg.ID, "refused, the user may ask again at once:", err)
		default:
			fmt.Println(msg.ID, "unknown, keep the send-interval flag:", err)
		}
	}
	// Output:
	// code-1 sent
	// code-2 refused, the user may ask again at once: sender: provider refused the message: pigeon: number not served
	// code-3 unknown, keep the send-interval flag: pigeon: context deadline exceeded
}

// The webhook sender POSTs a signed JSON message; the receiver checks the signature
// before anything else. Sending the same Message twice gives the same id.
func ExampleNew() {
	secret := "a-long-random-secret-shared-with-the-receiver"
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(r.Header.Get("X-Ginsms-Timestamp") + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-Ginsms-Signature")), []byte(want)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var m struct{ Phone, Code, Template, ID string }
		_ = json.Unmarshal(body, &m)
		fmt.Printf("receiver: phone %s code %s template %q id %s\n", m.Phone, m.Code, m.Template, m.ID)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	cfg := sender.DefaultConfig()
	cfg.Kind = "webhook"
	cfg.Webhook = sender.WebhookConfig{URL: receiver.URL + "/sms", Secret: secret, Template: "login"}
	s, err := sender.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	msg := sender.Message{Phone: "13800138000", Code: "123456", ID: "c0d3-1d"}
	for range 2 {
		fmt.Println("sent:", s.Send(context.Background(), msg) == nil)
	}
	// Output:
	// receiver: phone 13800138000 code 123456 template "login" id c0d3-1d
	// sent: true
	// receiver: phone 13800138000 code 123456 template "login" id c0d3-1d
	// sent: true
}

// The default kind only logs, for demos: the phone masked, the code and the id.
func ExampleNew_log() {
	cfg := sender.DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{} // a stable output for this example
			}
			return a
		},
	}))
	s, err := sender.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Send(context.Background(), sender.Message{Phone: "13800138000", Code: "123456", ID: "c0d3-1d"}); err != nil {
		log.Fatal(err)
	}
	// Output:
	// level=WARN msg="sender: sender.kind is log: SMS codes are written to the log and not sent; for demos only"
	// level=INFO msg="sender: sms code (log sender, not sent)" phone=138****8000 code=123456 id=c0d3-1d
}

// Validate reports every bad key at once, naming each, never quoting a credential.
func ExampleConfig_Validate() {
	cfg := sender.DefaultConfig()
	cfg.Kind = "twilio"
	cfg.Twilio.AccountSID = "AC0123456789abcdef0123456789abcdef"
	cfg.Twilio.PhonePrefix = "0086"
	err := cfg.Validate()
	fmt.Println(errors.Is(err, sender.ErrInvalidConfig))
	fmt.Println(err)
	// Output:
	// true
	// ginsms: invalid configuration:
	// 	sender.twilio.auth_token: required when sender.kind is twilio: set it in the file or in GINSMS_SENDER_TWILIO_AUTH_TOKEN
	// 	sender.twilio.from: required when sender.kind is twilio, unless sender.twilio.messaging_service_sid is set
	// 	sender.twilio.phone_prefix: must be "+" and 1 to 4 digits, got "0086"
}

// An Alibaba Cloud answer with a Code other than "OK" is a definite refusal; the error
// quotes it, with the phone masked and the code removed.
func ExampleAliyunConfig() {
	aliyun := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"Code":"isv.BUSINESS_LIMIT_CONTROL","Message":"触发分钟级流控Permits:1","RequestId":"A1B2"}`)
	}))
	defer aliyun.Close()

	cfg := sender.DefaultConfig()
	cfg.Kind = "aliyun"
	cfg.Aliyun = sender.AliyunConfig{
		AccessKeyID:     "LTAI-example",
		AccessKeySecret: "from-the-environment",
		SignName:        "阿里云短信测试",
		TemplateCode:    "SMS_154950909",
		Endpoint:        aliyun.URL + "/", // a test server standing in for dysmsapi.aliyuncs.com
	}
	s, err := sender.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	err = s.Send(context.Background(), sender.Message{Phone: "13800138000", Code: "123456", ID: "c0d3-1d"})
	fmt.Println(errors.Is(err, sender.ErrRefused))
	fmt.Println(err)
	// Output:
	// true
	// sender: provider refused the message: aliyun: HTTP 200 OK: isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控Permits:1 (RequestId A1B2)
}
