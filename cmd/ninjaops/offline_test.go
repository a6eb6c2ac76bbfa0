package main

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// offlineResolver answers every DNS query that reaches it "no such host"
// (NXDOMAIN), without a network: the scripts' ninjaops uses it, so that no
// test ever asks a real DNS server, and a misspelled host fails as it does
// on a real network. /etc/hosts (localhost) is read first as usual.
func offlineResolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		// Not a net.PacketConn, so Go's resolver frames its messages as
		// over TCP, whatever the network.
		return &nxConn{replies: make(chan []byte, 8)}, nil
	}}
}

// nxConn is a DNS server on the other end of a connection that answers
// each query with NXDOMAIN.
type nxConn struct {
	replies chan []byte
	mu      sync.Mutex
	pending []byte
	closed  bool
}

func (c *nxConn) Write(b []byte) (int, error) {
	// Each message carries its length in two bytes first.
	if len(b) < 2 {
		return 0, errors.New("short DNS message")
	}
	r, err := nxdomain(b[2:])
	if err != nil {
		return 0, err
	}
	r = append(binary.BigEndian.AppendUint16(nil, uint16(len(r))), r...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	select {
	case c.replies <- r:
	default:
		return 0, errors.New("too many DNS queries unread")
	}
	return len(b), nil
}

func (c *nxConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		r, ok := <-c.replies
		if !ok {
			return 0, net.ErrClosed
		}
		c.mu.Lock()
		c.pending = r
	}
	defer c.mu.Unlock()
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// nxdomain is the NXDOMAIN answer to query q: its header and question,
// marked as a response with nothing found.
func nxdomain(q []byte) ([]byte, error) {
	if len(q) < 12 {
		return nil, errors.New("short DNS query")
	}
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	i += 1 + 4 // the root label, QTYPE and QCLASS
	if i > len(q) {
		return nil, errors.New("malformed DNS query")
	}
	r := append([]byte(nil), q[:i]...)
	r[2] |= 0x80 // QR: a response
	r[3] = 0x80 | 3
	binary.BigEndian.PutUint16(r[4:], 1) // one question
	for j := 6; j < 12; j++ {
		r[j] = 0 // no answer, authority or additional records
	}
	return r, nil
}

func (c *nxConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		close(c.replies)
	}
	return nil
}

func (c *nxConn) LocalAddr() net.Addr              { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)} }
func (c *nxConn) RemoteAddr() net.Addr             { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 53), Port: 53} }
func (c *nxConn) SetDeadline(time.Time) error      { return nil }
func (c *nxConn) SetReadDeadline(time.Time) error  { return nil }
func (c *nxConn) SetWriteDeadline(time.Time) error { return nil }
