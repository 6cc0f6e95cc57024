package input

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
)

// lookahead bounds how much of a body is read to find the fields. A larger body is not
// refused: the fields are looked for in its first lookahead bytes, and the body is handed
// on whole.
const lookahead = 64 << 10

// maxFieldLen bounds the value kept for one field; every field is smaller once valid,
// except the proof of a human check, which maxProofLen bounds.
const maxFieldLen = 64

// errMalformed reports a body that claims a type it does not have.
var errMalformed = errors.New("malformed request body")

type parsedBody struct {
	values map[string]string
	err    error
}

// errUnread reports a field that the body may hold past its first lookahead bytes: an
// input that could not be read whole is malformed (4005), never missing (4001).
var errUnread = errors.New("request body too large to find the field")

const bodyKey = "github.com/ginsms/ginsms/internal/input.body"

// bodyFields returns the fields of the request body (form, multipart or JSON object),
// read once per request and cached in c, so that every middleware sees the same values.
// The body stays readable for the next handler. A body larger than lookahead holds the
// fields found in its head; any other field of ours is errUnread (see Parser.value).
func (p *Parser) bodyFields(c *gin.Context) (map[string]string, error) {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if v, ok := c.Get(bodyKey); ok {
		pb := v.(parsedBody)
		return pb.values, pb.err
	}
	values, err := readFields(r, p.limit)
	c.Set(bodyKey, parsedBody{values: values, err: err})
	return values, err
}

// readFields finds the fields that limit bounds (limit 0: not ours) in the first
// lookahead bytes of r's body and puts what it read back in front of the rest.
func readFields(r *http.Request, limit func(string) int) (map[string]string, error) {
	mediaType, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/x-www-form-urlencoded", "multipart/form-data", "application/json":
	default:
		return nil, nil // another type carries no field of ours: the body is not touched
	}
	// ReadAll grows its buffer with the body: a small form costs a small buffer.
	head, readErr := io.ReadAll(io.LimitReader(r.Body, lookahead+1))
	r.Body = restoredBody{Reader: io.MultiReader(bytes.NewReader(head), r.Body), Closer: r.Body}
	if readErr != nil {
		return nil, errMalformed // the client went away mid-body
	}
	truncated := len(head) > lookahead
	if truncated {
		head = head[:lookahead]
	}
	var values map[string]string
	var err error
	switch mediaType {
	case "application/json":
		values, err = jsonFields(head, truncated, limit)
	case "multipart/form-data":
		values, err = multipartFields(head, params["boundary"], truncated, limit)
	default:
		values, err = formFields(head, truncated, limit)
	}
	if truncated && err == nil {
		if values == nil {
			values = map[string]string{}
		}
		values[unreadMark] = "" // a field not found may lie past the head
	}
	return values, err
}

// unreadMark, a name no field has, marks the values of a body read only in part.
const unreadMark = "\x00unread"

// restoredBody is a request body of which a head was read and put back.
type restoredBody struct {
	io.Reader
	io.Closer
}

func formFields(data []byte, truncated bool, limit func(string) int) (map[string]string, error) {
	s := string(data)
	if truncated { // the last pair may be cut short: drop it
		if i := strings.LastIndexByte(s, '&'); i >= 0 {
			s = s[:i]
		} else {
			s = ""
		}
	}
	values := map[string]string{}
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(rawKey)
		if err != nil || limit(key) == 0 {
			continue // the application's own fields are its business
		}
		if _, seen := values[key]; seen {
			continue // the first value counts, as url.Values.Get
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, errMalformed
		}
		values[key] = bounded(value, limit(key))
	}
	return values, nil
}

func jsonFields(data []byte, truncated bool, limit func(string) int) (map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// fail reports a decoding error: the end of a truncated head is not the body's fault.
	fail := func(values map[string]string) (map[string]string, error) {
		if truncated {
			return values, nil
		}
		return nil, errMalformed
	}
	tok, err := dec.Token()
	if err != nil {
		return fail(nil)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil // valid JSON but not an object: no field of ours in it
	}
	values := map[string]string{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(values)
		}
		key, _ := tok.(string)
		if limit(key) == 0 {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fail(values)
			}
			continue
		}
		tok, err = dec.Token()
		if err != nil {
			return fail(values)
		}
		switch v := tok.(type) {
		case string:
			values[key] = bounded(v, limit(key))
		case json.Number: // a code or phone sent as a number
			values[key] = bounded(v.String(), limit(key))
		case json.Delim: // an object or array where a value of ours should be
			return nil, errMalformed
		}
	}
	return values, nil
}

func multipartFields(data []byte, boundary string, truncated bool, limit func(string) int) (map[string]string, error) {
	if boundary == "" {
		return nil, errMalformed
	}
	mr := multipart.NewReader(bytes.NewReader(data), boundary)
	values := map[string]string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return values, nil
		}
		if err != nil {
			if truncated {
				return values, nil
			}
			return nil, errMalformed
		}
		name := part.FormName()
		if limit(name) == 0 || part.FileName() != "" {
			continue // NextPart skips the rest of this part
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(limit(name))+1))
		if err != nil {
			if truncated {
				return values, nil
			}
			return nil, errMalformed
		}
		if _, seen := values[name]; !seen {
			values[name] = bounded(string(v), limit(name))
		}
	}
}

// bounded keeps at most max+1 bytes of v: enough for validation to see that an
// oversized value is oversized, without holding a client's megabytes.
func bounded(v string, max int) string {
	if len(v) > max {
		return v[:max+1]
	}
	return v
}
