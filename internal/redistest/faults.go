package redistest

import (
	"bytes"
	"context"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ReplyDropper is a go-redis Dialer (Options.Dialer, ClusterOptions.Dialer,
// FailoverOptions.Dialer) that loses replies on purpose. Once armed with a marker, the
// next request written that contains the marker reaches Redis and runs; its reply is read
// and thrown away, the connection is closed, and the client reads io.EOF, the error after
// which go-redis re-sends a command unless the command forbids it.
type ReplyDropper struct {
	mu      sync.Mutex
	marker  []byte
	dropped atomic.Int64
	dialer  net.Dialer
}

// Arm makes the dropper lose the reply of the next request containing marker.
func (d *ReplyDropper) Arm(marker string) {
	d.mu.Lock()
	d.marker = []byte(marker)
	d.mu.Unlock()
}

// Dropped returns how many replies were lost so far.
func (d *ReplyDropper) Dropped() int { return int(d.dropped.Load()) }

// take reports whether p carries the armed marker, and disarms it then.
func (d *ReplyDropper) take(p []byte) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.marker == nil || !bytes.Contains(p, d.marker) {
		return false
	}
	d.marker = nil
	return true
}

// Dial dials addr and watches the connection.
func (d *ReplyDropper) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &dropConn{Conn: c, d: d}, nil
}

type dropConn struct {
	net.Conn
	d       *ReplyDropper
	drop    atomic.Bool
	dropped atomic.Bool
}

func (c *dropConn) Write(p []byte) (int, error) {
	if c.d.take(p) {
		c.drop.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *dropConn) Read(p []byte) (int, error) {
	if !c.drop.Load() {
		return c.Conn.Read(p)
	}
	if c.dropped.CompareAndSwap(false, true) {
		// Wait for Redis's answer, so the request surely ran, then lose it.
		_ = c.Conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = c.Conn.Read(make([]byte, 64<<10))
		_ = c.Conn.Close()
		c.d.dropped.Add(1)
	}
	return 0, io.EOF
}
