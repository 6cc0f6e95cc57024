package sender_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ginsms/ginsms/sender"
)

// Values shared by the tests; the code and every secret are looked for in errors.
const (
	testPhone  = "13800138000"
	testMasked = "138****8000"
	testCode   = "123456"
	testID     = "code-7f3a9c"
)

var testMsg = sender.Message{Phone: testPhone, Code: testCode, ID: testID}

// outcome is what a Send's error says happened.
type outcome int

const (
	sent    outcome = iota // nil
	refused                // wraps ErrRefused
	unknown                // any other error
)

func (o outcome) String() string { return [...]string{"sent", "refused", "unknown"}[o] }

func classify(err error) outcome {
	switch {
	case err == nil:
		return sent
	case errors.Is(err, sender.ErrRefused):
		return refused
	default:
		return unknown
	}
}

// checkOutcome fails t unless err has outcome want, holds every wantText, and holds
// neither the full phone nor any of secrets.
func checkOutcome(t *testing.T, err error, want outcome, wantText []string, secrets ...string) {
	t.Helper()
	if got := classify(err); got != want {
		t.Fatalf("Send = %v: outcome %v, want %v", err, got, want)
	}
	if err == nil {
		return
	}
	msg := err.Error()
	for _, w := range wantText {
		if !strings.Contains(msg, w) {
			t.Errorf("Send: error %q does not contain %q", msg, w)
		}
	}
	for _, s := range append(secrets, testPhone) {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("Send: error %q leaks %q", msg, s)
		}
	}
}

// providerConfigs returns a valid Config of each provider kind, sending to baseURL.
func providerConfigs(baseURL string) map[string]sender.Config {
	webhook := sender.DefaultConfig()
	webhook.Kind = "webhook"
	webhook.Webhook = sender.WebhookConfig{URL: baseURL + "/hook?token=url-token", Secret: "webhook-secret"}

	twilio := sender.DefaultConfig()
	twilio.Kind = "twilio"
	twilio.Twilio.AccountSID = "AC00000000000000000000000000000000"
	twilio.Twilio.AuthToken = "twilio-auth-token"
	twilio.Twilio.From = "+15005550006"
	twilio.Twilio.BaseURL = baseURL

	aliyun := sender.DefaultConfig()
	aliyun.Kind = "aliyun"
	aliyun.Aliyun.AccessKeyID = "testid"
	aliyun.Aliyun.AccessKeySecret = "aliyun-secret"
	aliyun.Aliyun.SignName = "阿里云短信测试"
	aliyun.Aliyun.TemplateCode = "SMS_154950909"
	aliyun.Aliyun.Endpoint = baseURL + "/"

	return map[string]sender.Config{"webhook": webhook, "twilio": twilio, "aliyun": aliyun}
}

// providerSecrets are the credentials of providerConfigs and the code: never in an error.
var providerSecrets = []string{"url-token", "webhook-secret", "twilio-auth-token", "aliyun-secret", testCode}

// newSlowServer answers only after its client has given up (or after 5s).
func newSlowServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestFunc(t *testing.T) {
	type ctxKey struct{}
	boom := errors.New("boom")
	var got sender.Message
	var gotValue any
	var s sender.Sender = sender.Func(func(ctx context.Context, msg sender.Message) error {
		got, gotValue = msg, ctx.Value(ctxKey{})
		return boom
	})
	ctx := context.WithValue(context.Background(), ctxKey{}, "v")
	if err := s.Send(ctx, testMsg); err != boom {
		t.Errorf("Send = %v, want the function's error", err)
	}
	if got != testMsg || gotValue != "v" {
		t.Errorf("function got %+v and context value %v", got, gotValue)
	}
}

// Config.Custom replaces Kind; its errors come back unchanged, whatever their class, and
// it runs under the Timeout bound unless the caller's deadline is earlier.
func TestNewCustom(t *testing.T) {
	refusal := errors.New("wrapped below")
	tests := []struct {
		name string
		ret  error
		want outcome
	}{
		{"sent", nil, sent},
		{"refused", errors.Join(sender.ErrRefused, refusal), refused},
		{"unknown", errors.New("gateway: HTTP 502"), unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var deadline time.Time
			var hasDeadline bool
			cfg := sender.Config{
				Kind:    "carrier-pigeon", // not read when Custom is set
				Timeout: time.Hour,
				Custom: sender.Func(func(ctx context.Context, msg sender.Message) error {
					deadline, hasDeadline = ctx.Deadline()
					if msg != testMsg {
						t.Errorf("Custom got %+v", msg)
					}
					return tt.ret
				}),
			}
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			if err != tt.ret {
				t.Errorf("Send = %v, want the Custom error %v unchanged", err, tt.ret)
			}
			checkOutcome(t, err, tt.want, nil)
			if d := time.Until(deadline); !hasDeadline || d > time.Hour || d < 59*time.Minute {
				t.Errorf("Custom's context: deadline in %v (%v), want about 1h", d, hasDeadline)
			}

			// The caller's earlier deadline wins.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			want, _ := ctx.Deadline()
			_ = s.Send(ctx, testMsg)
			if !deadline.Equal(want) {
				t.Errorf("Custom's deadline %v, want the caller's %v", deadline, want)
			}
		})
	}
}

// A provider that does not answer within Config.Timeout is an unknown outcome that wraps
// context.DeadlineExceeded, also when the caller set no deadline, with the default client
// or one of the application's without a timeout. The same holds for a Custom sender that
// gives up when its context ends.
func TestNewTimeout(t *testing.T) {
	srv := newSlowServer(t)
	cfgs := providerConfigs(srv.URL)
	cfgs["custom"] = sender.Config{Custom: sender.Func(func(ctx context.Context, _ sender.Message) error {
		<-ctx.Done()
		return ctx.Err()
	})}
	for kind, cfg := range cfgs {
		for _, client := range []*http.Client{nil, {}} {
			name := kind + "/default client"
			if client != nil {
				name = kind + "/client without timeout"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg := cfg
				cfg.Timeout = 50 * time.Millisecond
				cfg.HTTPClient = client
				s, err := sender.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				err = s.Send(context.Background(), testMsg)
				if elapsed := time.Since(start); elapsed > 2*time.Second {
					t.Errorf("Send took %v with a 50ms Timeout", elapsed)
				}
				checkOutcome(t, err, unknown, nil, providerSecrets...)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
				}
			})
		}
	}
}

// The caller's deadline, when earlier than Timeout, is the one that counts; a cancelled
// request is unknown too.
func TestProviderSendersHonourContext(t *testing.T) {
	srv := newSlowServer(t)
	for kind, cfg := range providerConfigs(srv.URL) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			cfg.Timeout = time.Minute
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = s.Send(ctx, testMsg)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Send took %v with a 50ms deadline", elapsed)
			}
			checkOutcome(t, err, unknown, []string{kind, "outcome unknown"}, providerSecrets...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
			}

			ctx, cancel = context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			err = s.Send(ctx, testMsg)
			checkOutcome(t, err, unknown, nil, providerSecrets...)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Send = %v, want it to wrap context.Canceled", err)
			}
		})
	}
}

// The application's client's own timeout, hit before any context deadline, is still a
// deadline: unknown, wrapping context.DeadlineExceeded.
func TestHTTPClientTimeout(t *testing.T) {
	srv := newSlowServer(t)
	for kind, cfg := range providerConfigs(srv.URL) {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			cfg.Timeout = time.Minute
			cfg.HTTPClient = &http.Client{Timeout: 50 * time.Millisecond}
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			checkOutcome(t, err, unknown, nil, providerSecrets...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
			}
		})
	}
}

// timeoutError is a transport's own timeout, such as a read deadline.
type timeoutError struct{}

func (timeoutError) Error() string   { return "read tcp: i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// A transport's own timeout (a dialer's or a read deadline) is a deadline too.
func TestTransportTimeout(t *testing.T) {
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		_, _ = io.Copy(io.Discard, r.Body)
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: timeoutError{}}
	})}
	for kind, cfg := range providerConfigs("https://provider.invalid") {
		t.Run(kind, func(t *testing.T) {
			cfg.HTTPClient = client
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			checkOutcome(t, err, unknown, []string{"i/o timeout"}, providerSecrets...)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send = %v, want it to wrap context.DeadlineExceeded", err)
			}
		})
	}
}

// A provider that cannot be reached is unknown (the class of a transport error cannot
// tell), and the error has no URL, token or code.
func TestProviderSendersUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	for kind, cfg := range providerConfigs(url) {
		t.Run(kind, func(t *testing.T) {
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			checkOutcome(t, err, unknown, []string{"sender: " + kind + ": outcome unknown"}, providerSecrets...)
			if strings.Contains(err.Error(), "/hook") {
				t.Errorf("error %q quotes the URL", err)
			}
		})
	}
}

// A connection lost after the whole request was written is unknown: the provider may
// have acted on it.
func TestProviderSendersConnectionLost(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("reading the request: %v", err)
		}
		requests.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // a reset rather than a clean close
		}
		_ = conn.Close()
	}))
	defer srv.Close()
	for kind, cfg := range providerConfigs(srv.URL) {
		t.Run(kind, func(t *testing.T) {
			requests.Store(0)
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			checkOutcome(t, err, unknown, []string{"outcome unknown"}, providerSecrets...)
			if n := requests.Load(); n != 1 {
				t.Errorf("the server got %d requests, want 1 (no retry)", n)
			}
		})
	}
}

// Config.HTTPClient is the one used, it is not modified, and even though it would follow
// redirects the senders do not: the 3xx is classified as it stands.
func TestProviderSendersUseHTTPClient(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
	}{
		"webhook": {http.StatusNoContent, ""},
		"twilio":  {http.StatusCreated, `{"sid":"SM00000000000000000000000000000000","status":"queued"}`},
		"aliyun":  {http.StatusOK, `{"Code":"OK","Message":"OK","BizId":"1^0","RequestId":"R"}`},
	}
	for kind, cfg := range providerConfigs("https://provider.invalid") {
		t.Run(kind, func(t *testing.T) {
			calls := 0
			client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				calls++
				if r.URL.Host != "provider.invalid" {
					t.Errorf("request to %q", r.URL.Host)
				}
				if ua := r.Header.Get("User-Agent"); ua != "ginsms" {
					t.Errorf("User-Agent %q", ua)
				}
				a := answers[kind]
				return &http.Response{StatusCode: a.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
			})}
			cfg.HTTPClient = client
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if client.CheckRedirect != nil {
				t.Error("New modified the application's client")
			}
			checkOutcome(t, s.Send(context.Background(), testMsg), sent, nil)
			if calls != 1 {
				t.Errorf("the injected client was called %d times, want 1", calls)
			}
		})
	}
}

func TestProviderSendersDoNotFollowRedirects(t *testing.T) {
	want := map[string]outcome{"webhook": refused, "twilio": refused, "aliyun": unknown} // aliyun: no Code
	var followed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/elsewhere") {
			followed.Store(true)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	for kind, cfg := range providerConfigs(srv.URL) {
		for _, client := range []*http.Client{nil, {}} { // {}: an application's client that follows redirects
			name := kind + "/default client"
			if client != nil {
				name = kind + "/client following redirects"
			}
			t.Run(name, func(t *testing.T) {
				followed.Store(false)
				cfg.HTTPClient = client
				s, err := sender.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				err = s.Send(context.Background(), testMsg)
				checkOutcome(t, err, want[kind], []string{"307"}, providerSecrets...)
				if followed.Load() {
					t.Error("the redirect was followed")
				}
			})
		}
	}
}

// An answer whose body breaks off: the status alone decides for webhook and twilio (2xx:
// sent); aliyun needs the body's Code, so without it the outcome is unknown.
func TestProviderSendersBrokenAnswerBody(t *testing.T) {
	want := map[string]outcome{"webhook": sent, "twilio": sent, "aliyun": unknown}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Code\":")
		_ = buf.Flush()
	}))
	defer srv.Close()
	for kind, cfg := range providerConfigs(srv.URL) {
		t.Run(kind, func(t *testing.T) {
			s, err := sender.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), testMsg)
			checkOutcome(t, err, want[kind], nil, providerSecrets...)
			if err != nil && !strings.Contains(err.Error(), "reading the answer") {
				t.Errorf("Send = %v, want it to say the answer could not be read", err)
			}
		})
	}
}
