package main

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestBufferedLogFlushes(t *testing.T) {
	out := &lockedBuffer{}
	l := newBufferedLog(out)
	_, _ = l.Write([]byte("first\n"))
	if out.String() != "" {
		t.Fatal("written through at once; want buffered")
	}
	deadline := time.Now().Add(2 * time.Second)
	for out.String() == "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if out.String() != "first\n" {
		t.Fatalf("after the flush interval: %q", out.String())
	}
	_, _ = l.Write([]byte("last\n"))
	l.Close()
	if !strings.HasSuffix(out.String(), "last\n") {
		t.Fatalf("Close lost buffered lines: %q", out.String())
	}
}
