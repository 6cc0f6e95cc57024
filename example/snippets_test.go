package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every Go snippet of the README and the docs is part of a compiled example: its lines,
// blanks ignored, appear in this order in one of the repository's example_test.go files,
// so a snippet that would not compile, or that drifted from the code, fails here.
func TestDocSnippetsAreExamples(t *testing.T) {
	docs, _ := filepath.Glob("../docs/*.md")
	examples, _ := filepath.Glob("../*/example_test.go")
	if len(examples) < 4 {
		t.Fatalf("found %d example files", len(examples))
	}
	var sources [][]string
	for _, p := range examples {
		sources = append(sources, trimmedLines(t, p))
	}
	checked := 0
	for _, doc := range append([]string{"../README.md"}, docs...) {
		for _, snippet := range goBlocks(t, doc) {
			checked++
			if !inAny(snippet, sources) {
				t.Errorf("%s: this snippet is in no example_test.go (make it one, or copy it from one):\n%s",
					doc, strings.Join(snippet, "\n"))
			}
		}
	}
	if checked < 6 {
		t.Errorf("checked %d snippets: the docs lost their Go blocks?", checked)
	}
}

func trimmedLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// goBlocks returns the non-blank lines of each ```go block of the Markdown file path.
func goBlocks(t *testing.T, path string) [][]string {
	t.Helper()
	var blocks [][]string
	var cur []string
	in := false
	for _, l := range trimmedLines(t, path) {
		switch {
		case !in && l == "```go":
			in, cur = true, nil
		case in && l == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

// inAny reports whether snippet is a run of consecutive lines of one of sources.
func inAny(snippet []string, sources [][]string) bool {
	for _, src := range sources {
	start:
		for i := 0; i+len(snippet) <= len(src); i++ {
			for j, l := range snippet {
				if src[i+j] != l {
					continue start
				}
			}
			return true
		}
	}
	return false
}
