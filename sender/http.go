package sender

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ginsms/ginsms/internal/mask"
)

// httpClient is the client of the provider senders: a copy of client, or when nil a new
// client bounded by timeout (the context usually ends first), that never follows a
// redirect but returns it, which the senders then classify by its status.
func httpClient(client *http.Client, timeout time.Duration) *http.Client {
	var c http.Client
	if client != nil {
		c = *client
	} else {
		c.Timeout = timeout
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// userAgent is sent by every provider sender.
const userAgent = "ginsms"

// maxAnswer bounds how much of a provider's answer is read, and how much more is
// drained so that the connection can be reused.
const maxAnswer = 64 << 10

// answer is a provider's answer.
type answer struct {
	status  int
	body    []byte // at most maxAnswer bytes
	bodyErr error  // reading the body failed (as transportError): body holds what was read
}

// do sends req and reads the answer. The error, of the transport only, is an unknown
// outcome (the request may have been written); it is returned without the request URL,
// which may carry a token, and wraps context.DeadlineExceeded when a deadline or a
// client timeout was hit.
func do(client *http.Client, req *http.Request) (answer, error) {
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return answer{}, transportError(req.Context(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return answer{status: resp.StatusCode, body: body, bodyErr: transportError(req.Context(), err)}, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswer))
	return answer{status: resp.StatusCode, body: body}, nil
}

// transportError strips the *url.Error (whose text quotes the URL) off err, and makes a
// deadline or a client timeout visible to errors.Is as context.DeadlineExceeded.
func transportError(ctx context.Context, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w (%w)", context.DeadlineExceeded, err)
	}
	return err
}

// refusedError is a definite refusal by provider: it wraps ErrRefused.
func refusedError(provider, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrRefused, provider, fmt.Sprintf(format, args...))
}

// unknownError is an unknown outcome of provider: it does not wrap ErrRefused. A %w in
// format wraps as in fmt.Errorf.
func unknownError(provider, format string, args ...any) error {
	return fmt.Errorf("sender: "+provider+": outcome unknown: "+format, args...)
}

// isSuccess reports whether status is 2xx.
func isSuccess(status int) bool { return status >= 200 && status <= 299 }

// httpStatus is "HTTP 404 Not Found".
func httpStatus(status int) string {
	return strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
}

// maxQuoted bounds a provider's text quoted in an error.
const maxQuoted = 300

// scrub makes a provider's text fit for an error that will be logged: every form of the
// phones is masked (with and without a leading "+"), every secret (the code, credentials)
// replaced by "[redacted]", control characters turned into spaces and the length
// bounded. Providers do echo requests: Alibaba's SignatureDoesNotMatch message quotes
// the string to sign, which holds the phone and the code.
func scrub(text string, phones []string, secrets ...string) string {
	var forms []string
	for _, p := range phones {
		if p != "" {
			forms = append(forms, p)
		}
		if bare := strings.TrimPrefix(p, "+"); bare != p && bare != "" {
			forms = append(forms, bare)
		}
	}
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i]) > len(forms[j]) }) // the longest whole first
	for _, p := range forms {
		text = strings.ReplaceAll(text, p, mask.Phone(p))
	}
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	text = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, text)
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > maxQuoted {
		text = string([]rune(text)[:maxQuoted]) + "…"
	}
	return text
}
