package main

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// The README's "The flow by hand" runs as written against the example server, as `make
// run` serves it (demo mode on the embedded Redis): every curl line is sent, and every
// answer the README shows in a comment is the answer the server gives, once the
// README's placeholders for the captcha answer and the SMS code are replaced by the real
// ones the demo routes hand out.
func TestReadmeFlowByHand(t *testing.T) {
	lines := readmeBlock(t, "## The flow by hand")
	t.Setenv("GINSMS_SERVER_ADDR", "127.0.0.1:0")
	t.Setenv("GINSMS_REDIS_ADDR", "")
	addr, stop := startRun(t)
	defer stop()

	const uuid = "1b4e28ba-2fa1-41d2-883f-0016d3cca427" // what $(cat /proc/.../uuid) gives
	placeholders := map[string]*regexp.Regexp{          // a placeholder of the README, and where the real value shows
		"answer": regexp.MustCompile(`"answer":"(\d+)"`),
		"code":   regexp.MustCompile(`"code":"(\d+)"`),
	}
	real := map[string]string{} // placeholder text -> the value the server gave
	var last string             // the previous curl's answer
	ran := 0
	for _, line := range lines {
		cmd, comment, _ := strings.Cut(line, "#")
		if cmd = strings.TrimSpace(cmd); strings.HasPrefix(cmd, "curl ") {
			for placeholder, value := range real {
				cmd = strings.ReplaceAll(cmd, placeholder, value)
			}
			cmd = strings.ReplaceAll(strings.ReplaceAll(cmd, "$U", uuid), "localhost:8080", addr)
			last = curl(t, cmd)
			ran++
		}
		// A comment shows the answer of the curl on its line, or of the one before it.
		want := jsonIn(comment)
		if want == "" || last == "" {
			continue
		}
		for name, re := range placeholders {
			if m, got := re.FindStringSubmatch(want), re.FindStringSubmatch(last); m != nil && got != nil {
				if _, known := real[m[1]]; !known {
					real[m[1]] = got[1]
					t.Logf("README's %s %s is %s", name, m[1], got[1])
				}
			}
		}
		for placeholder, value := range real {
			want = strings.ReplaceAll(want, placeholder, value)
		}
		prefix, _, _ := strings.Cut(want, "...") // "..." stands for the rest of the answer
		if !strings.HasPrefix(last, prefix) {
			t.Errorf("README says %s\nthe server answered %s", strings.TrimSpace(comment), last)
		}
	}
	if ran < 5 || len(real) != 2 {
		t.Fatalf("ran %d curl lines and learnt %d placeholders: the README block changed shape", ran, len(real))
	}
}

// readmeBlock returns the lines of the first ```sh block after heading in README.md.
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	f, err := os.Open("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	state := 0 // 0 before the heading, 1 before the block, 2 in it
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		switch {
		case state == 0 && line == heading:
			state = 1
		case state == 1 && line == "```sh":
			state = 2
		case state == 2 && line == "```":
			return lines
		case state == 2:
			lines = append(lines, line)
		}
	}
	t.Fatalf("README.md has no sh block after %q", heading)
	return nil
}

// jsonIn is the JSON a comment shows ({...} or [...] up to its last bracket), "" if none.
func jsonIn(comment string) string {
	i := strings.IndexAny(comment, "{[")
	j := strings.LastIndexAny(comment, "}]")
	if i < 0 || j < i {
		return ""
	}
	return comment[i : j+1]
}

// curl runs the curl command line cmd (the options the README uses: -s, -o FILE, -d
// K=V) and returns the body, or "" when it went to a file.
func curl(t *testing.T, cmd string) string {
	t.Helper()
	var target, out string
	form := url.Values{}
	args := strings.Fields(cmd)[1:]
	for i := 0; i < len(args); i++ {
		switch a := strings.Trim(args[i], `"`); a {
		case "-s":
		case "-o":
			i++
			out = args[i]
		case "-d":
			i++
			k, v, _ := strings.Cut(args[i], "=")
			form.Add(k, v)
		default:
			if !strings.HasPrefix(a, "http://") {
				t.Fatalf("curl option %q is not one this test knows", a)
			}
			target = a
		}
	}
	var resp *http.Response
	var err error
	if len(form) > 0 {
		resp, err = http.PostForm(target, form)
	} else {
		resp, err = http.Get(target)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != "" {
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: HTTP %d, %d bytes", cmd, resp.StatusCode, len(body))
		}
		return ""
	}
	return strings.TrimSpace(string(body))
}
