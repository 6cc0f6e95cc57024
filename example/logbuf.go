package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// bufferedLog is the example's log output: lines are gathered in a buffer and written at
// most every flushEvery (or when the buffer fills), so the demo log sender, which writes
// one line per code, costs a memory copy per send instead of a system call. Close writes
// what is left; a crash may lose the last flushEvery of lines.
type bufferedLog struct {
	mu   sync.Mutex
	w    *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 100 * time.Millisecond

func newBufferedLog(out io.Writer) *bufferedLog {
	l := &bufferedLog{w: bufio.NewWriterSize(out, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.flushLoop()
	return l
}

func (l *bufferedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *bufferedLog) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Flush() // nowhere to report a failing stderr
}

func (l *bufferedLog) flushLoop() {
	defer close(l.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.flush()
		case <-l.stop:
			l.flush()
			return
		}
	}
}

// Close stops the flusher and writes what is buffered.
func (l *bufferedLog) Close() {
	close(l.stop)
	<-l.done
}
