package ninjaone

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Every answer is read through a scanner that bounds it, whatever the
// server sends:
//   - in bytes: a body longer than limits.body is an error, never a
//     silent truncation;
//   - in work: whitespace is skipped once, each byte is looked at a fixed
//     number of times, so decoding is linear in the body (json.Decoder
//     re-scans buffered whitespace on every refill, which made 128 MB of
//     spaces cost minutes);
//   - in memory: one value (a user, a role's fields, one member) may not
//     exceed limits.value, and a response may not hold more than
//     limits.items objects, so memory follows what was decoded, not what
//     was sent.
//
// The time bound is the call's deadline (see Client.do), which covers
// reading the body.

// limits bound what one response may cost.
type limits struct {
	// body is the most bytes one response may have.
	body int64
	// value is the most bytes one decoded value may have: a list element,
	// a single object, one field of a role.
	value int
	// items is the most objects one response may hold: list elements and
	// role members together.
	items int
	// chunk is how many bytes of list elements are decoded at once.
	chunk int
}

// defaultLimits are sized well above the largest plausible tenant: a
// spec-exact user is about 500 bytes, so 100,000 users are about 50 MB,
// and their roles hold 300,000 members at three roles a user. The object
// limit is what bounds memory against answers of tiny objects
// (`{"id":1},` decodes 9 bytes into a 160-byte User): a never-ending list
// stops at 1,000,000 users, about 160 MB of them.
var defaultLimits = limits{
	body:  1 << 30,
	value: 1 << 20,
	items: 1_000_000,
	chunk: 256 << 10,
}

// errTooLarge is wrapped by every refusal of an answer over the limits;
// retrying cannot help, so such an answer is never retried.
var errTooLarge = errors.New("answer too large")

// cappedReader reads at most limit bytes of r; a body longer than that is
// an error, not a truncation.
type cappedReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// At the limit: one more byte means the body is too long.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: the body is larger than %s, the most ninjaops reads in one answer", errTooLarge, byteSize(c.limit))
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// byteSize renders a limit for a message.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// scanner reads a body in a buffer it compacts as it goes, so that what
// has been consumed (whitespace above all) is never kept or looked at
// again.
type scanner struct {
	r   io.Reader
	lim limits
	buf []byte
	pos int // the first unconsumed byte
	end int // the end of the buffered data
	// mark, when >= 0, is the byte before the first element of a chunk
	// not yet decoded; flush, when set, decodes that chunk. fill calls it
	// before reading more, so a chunk never outlives the buffered data
	// and nothing but the element being scanned is kept across reads
	// (not, say, megabytes of whitespace after a chunk).
	mark  int
	flush func() error
	eof   bool
	full  bool  // the last read filled the buffer
	err   error // a read error other than EOF, sticky
	// items counts the objects decoded so far, against limits.items.
	items int
	// where names the call ("GET /v2/user/roles") and status is its
	// answer's, for what decoding reports.
	where  string
	status int
}

func newScanner(r io.Reader, lim limits) *scanner {
	// A small answer needs a small buffer; a large one grows it to a
	// chunk (see fill).
	return &scanner{r: &cappedReader{r: r, left: lim.body, limit: lim.body}, lim: lim, buf: make([]byte, min(16<<10, lim.chunk)+1), mark: -1}
}

// fill reads more of the body, keeping only the byte before pos (a
// chunk's framing needs it) and what follows. It reports false when
// nothing more can be read.
func (s *scanner) fill() bool {
	if s.eof || s.err != nil {
		return false
	}
	if s.mark >= 0 && s.flush != nil {
		if err := s.flush(); err != nil {
			s.err = err
			return false
		}
	}
	if keep := max(s.pos-1, 0); keep > 0 {
		copy(s.buf, s.buf[keep:s.end])
		s.pos -= keep
		s.end -= keep
	}
	// The last byte stays free, so that a chunk whose last element ends
	// the buffered data can still be framed in place (see chunked.flush).
	// The buffer grows when an element being scanned fills it (an element
	// is bounded by limits.value), or up to a chunk while the answer keeps
	// filling it.
	if s.end >= len(s.buf)-1 || (s.full && len(s.buf) <= s.lim.chunk) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.end])
		s.buf = nb
	}
	for {
		n, err := s.r.Read(s.buf[s.end : len(s.buf)-1])
		s.full = s.end+n == len(s.buf)-1
		s.end += n
		if err == io.EOF {
			s.eof = true
		} else if err != nil {
			s.err = err
		}
		if n > 0 || s.eof || s.err != nil {
			return n > 0
		}
	}
}

// skipSpace consumes whitespace (and a UTF-8 byte order mark at the very
// start) and returns the next byte without consuming it; ok is false at
// the end of the body.
func (s *scanner) skipSpace() (byte, bool) {
	for {
		for s.pos < s.end {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\r', '\n':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.fill() {
			return 0, false
		}
	}
}

// readErr is the error that ended the body early: a read error, or an
// unexpected end.
func (s *scanner) readErr() error {
	if s.err != nil {
		return s.err
	}
	return io.ErrUnexpectedEOF
}

// skipBOM drops a UTF-8 byte order mark at the start of the body.
func (s *scanner) skipBOM() {
	for s.end-s.pos < 3 && s.fill() {
	}
	if bytes.HasPrefix(s.buf[s.pos:s.end], []byte("\xEF\xBB\xBF")) {
		s.pos += 3
	}
}

// kind classifies the body by its first byte that is not whitespace.
func (s *scanner) kind() bodyKind {
	s.skipBOM()
	c, ok := s.skipSpace()
	switch {
	case !ok && s.err != nil:
		// Not an empty body: a failed one, which decoding reports.
		return bodyJSON
	case !ok:
		return bodyEmpty
	case c == '<':
		return bodyHTML
	case bytes.IndexByte([]byte(`{["tfn-0123456789`), c) >= 0:
		return bodyJSON
	}
	return bodyOther
}

// rest returns up to n more bytes of the body, for an error message.
func (s *scanner) rest(n int) []byte {
	for s.end-s.pos < n && s.fill() {
	}
	out := s.buf[s.pos:min(s.end, s.pos+n)]
	s.pos += len(out)
	return out
}

// valueState follows one JSON value through its bytes: enough of JSON's
// grammar to find where the value ends (strings, escapes, nesting). It
// does not validate: encoding/json does that when the value is decoded.
type valueState struct {
	started bool
	scalar  bool // a number, true, false or null
	inStr   bool
	depth   int
}

// advance scans b from i and returns where the value ends (the index after
// its last byte) and true, or len(b) and false when b ends first.
func (v *valueState) advance(b []byte, i int) (int, bool) {
	if !v.started {
		v.started = true
		switch b[i] {
		case '"':
			v.inStr = true
			i++
		case '{', '[':
		default:
			v.scalar = true
		}
	}
	if v.scalar {
		for ; i < len(b); i++ {
			switch b[i] {
			case ' ', '\t', '\r', '\n', ',', ']', '}', ':':
				return i, true
			}
		}
		return i, false
	}
	for i < len(b) {
		if v.inStr {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return len(b), false
			}
			i += j
			// A quote after an odd run of backslashes is escaped. The run
			// cannot reach back past the string's opening quote.
			n := 0
			for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
				n++
			}
			i++
			if n%2 == 0 {
				v.inStr = false
				if v.depth == 0 {
					return i, true
				}
			}
			continue
		}
		switch b[i] {
		case '"':
			v.inStr = true
		case '{', '[':
			v.depth++
		case '}', ']':
			v.depth--
			if v.depth <= 0 {
				return i + 1, true
			}
		}
		i++
	}
	return i, false
}

// value scans the value that starts at the next byte and returns its
// bytes, valid until the next call; the scanner moves past it. A value
// larger than limits.value is refused.
func (s *scanner) value(what func() string) ([]byte, error) {
	var st valueState
	off := 0 // scanned so far, relative to pos: fill moves pos
	for {
		if s.pos+off < s.end {
			i, done := st.advance(s.buf[s.pos:s.end], off)
			off = i
			if done {
				if off == 0 {
					return nil, fmt.Errorf("invalid JSON: unexpected %q in %s", s.buf[s.pos], what())
				}
				v := s.buf[s.pos : s.pos+off]
				s.pos += off
				return v, nil
			}
		}
		if off > s.lim.value {
			return nil, fmt.Errorf("%w: %s is larger than %s, the most ninjaops decodes as one value", errTooLarge, what(), byteSize(int64(s.lim.value)))
		}
		if !s.fill() {
			if st.scalar && s.err == nil && off > 0 {
				// A number or literal that ends the body.
				v := s.buf[s.pos : s.pos+off]
				s.pos += off
				return v, nil
			}
			return nil, s.readErr()
		}
	}
}

// expect consumes the byte c after optional whitespace.
func (s *scanner) expect(c byte) error {
	got, ok := s.skipSpace()
	if !ok {
		return s.readErr()
	}
	if got != c {
		return fmt.Errorf("invalid JSON: want %q, found %q", c, got)
	}
	s.pos++
	return nil
}

// finish checks that nothing but whitespace follows the value read.
func (s *scanner) finish() error {
	if c, ok := s.skipSpace(); ok {
		return fmt.Errorf("invalid JSON: unexpected %q after the end of the answer", c)
	}
	if s.err != nil {
		return s.err
	}
	return nil
}
