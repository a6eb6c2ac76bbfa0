package ninjaone

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

var (
	roleType    = reflect.TypeFor[Role]()
	membersType = reflect.TypeFor[[]RoleMember]()
)

// A decoder reads the body of a successful answer from s. Lists decode
// as they arrive (a 50 MB list is never buffered whole); anything else is
// one bounded value.
type decoder interface {
	decode(s *scanner) error
}

// decoderFor returns how out is decoded: itself when it is a decoder,
// else as one JSON value.
func decoderFor(out any) decoder {
	if d, ok := out.(decoder); ok {
		return d
	}
	return single{out}
}

// single decodes one bounded JSON value into v.
type single struct{ v any }

func (d single) decode(s *scanner) error {
	if _, ok := s.skipSpace(); !ok {
		if s.err != nil {
			return s.err
		}
		return errors.New("the answer is empty")
	}
	raw, err := s.value(func() string { return "the answer" })
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, d.v); err != nil {
		return err
	}
	return s.finish()
}

// openList checks that a list answer is a JSON array and leaves the
// scanner on its '['. A list answered with null or nothing at all is not
// an empty list: it is a read that cannot be trusted.
func openList(s *scanner) error {
	c, ok := s.skipSpace()
	switch {
	case !ok && s.err != nil:
		return s.err
	case !ok && s.status == http.StatusNoContent:
		return notAList(s.where, "204 No Content")
	case !ok:
		return notAList(s.where, "an empty body")
	case c == 'n':
		raw, err := s.value(func() string { return "the answer" })
		if err == nil && string(raw) == "null" {
			return notAList(s.where, "null")
		}
	case c == '[':
		return nil
	}
	return fmt.Errorf("want a JSON array, found %q", snippet(string(s.rest(40))))
}

// array walks the JSON array that comes next, calling elem for each
// element (its index from 0); elem consumes exactly one value. Every
// element counts against limits.items.
func (s *scanner) array(what string, elem func(n int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	for n := 0; ; n++ {
		c, ok := s.skipSpace()
		if !ok {
			return s.readErr()
		}
		if c == ']' && n == 0 {
			s.pos++
			return nil
		}
		if n > 0 {
			if c == ']' {
				s.pos++
				return nil
			}
			if c != ',' {
				return fmt.Errorf("invalid JSON: want ',' or ']' after %s element %d, found %q", what, n, c)
			}
			s.pos++
			if _, ok := s.skipSpace(); !ok {
				return s.readErr()
			}
		}
		if s.items++; s.items > s.lim.items {
			return fmt.Errorf("%w: the answer holds more than %d objects, the most ninjaops decodes from one answer", errTooLarge, s.lim.items)
		}
		if err := elem(n); err != nil {
			return err
		}
	}
}

// chunked decodes the elements of an array of T a chunk at a time:
// whole runs of elements, framed in place as a JSON array, go to one
// json.Unmarshal, which is much cheaper than one call per element, while
// memory stays bounded by the chunk size.
type chunked[T any] struct {
	s    *scanner
	what string
	out  *[]T
	// The current chunk: element starts and its end, relative to s.mark,
	// and the index of its first element.
	starts []int
	end    int
	first  int
}

func decodeArray[T any](s *scanner, what string, out *[]T) error {
	k := &chunked[T]{s: s, what: what, out: out}
	if err := s.array(what, k.element); err != nil {
		return err
	}
	return k.flush()
}

func (k *chunked[T]) element(n int) error {
	s := k.s
	v, err := s.value(func() string { return fmt.Sprintf("%s element %d", k.what, n+1) })
	if err != nil {
		return err
	}
	if s.mark < 0 {
		// The byte before the element (a '[', a ',' or a space) will
		// frame the chunk; fill keeps it.
		s.mark, k.first, s.flush = s.pos-len(v)-1, n, k.flush
	}
	k.starts = append(k.starts, s.pos-len(v)-s.mark)
	k.end = s.pos - s.mark
	return nil
}

// flush decodes the current chunk into the end of out.
func (k *chunked[T]) flush() error {
	s := k.s
	if s.mark < 0 {
		return nil
	}
	s.flush = nil
	frame := s.buf[s.mark : s.mark+k.end+1]
	open, shut := frame[0], frame[len(frame)-1]
	frame[0], frame[len(frame)-1] = '[', ']'
	n := len(k.starts)
	// Decode straight into out's spare capacity, zeroed first:
	// encoding/json decodes into whatever a slice's capacity holds, so
	// stale users from an earlier attempt would otherwise leak into
	// fields an element leaves out.
	p := slices.Grow(*k.out, n)
	tail := p[len(p):len(p)]
	clear(tail[:n])
	err := json.Unmarshal(frame, &tail)
	frame[0], frame[len(frame)-1] = open, shut
	s.mark = -1
	starts := k.starts
	k.starts = k.starts[:0]
	if err != nil {
		return k.elementError(err, starts)
	}
	if len(tail) != n {
		return fmt.Errorf("%s: decoded %d elements of a chunk of %d", k.what, len(tail), n)
	}
	*k.out = p[:len(p)+n]
	return nil
}

// elementError names the element an error of a chunk's decoding is in.
func (k *chunked[T]) elementError(err error, starts []int) error {
	var off int64 = -1
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		off = te.Offset
	case errors.As(err, &se):
		off = se.Offset
	}
	i := 0
	if off >= 0 {
		i = max(0, sortSearchInts(starts, int(off))-1)
	}
	elem := fmt.Sprintf("%s element %d", k.what, k.first+i+1)
	if k.s.where != "" {
		elem = k.s.where + " " + elem
	}
	if te != nil && (te.Field == "id" || strings.HasSuffix(te.Field, ".id")) {
		// An id beyond 32 bits: the read is refused as inconsistent, like
		// an id of 0.
		return inconsistent(finding{kind: badIDs, text: fmt.Sprintf("%s has an id that is not a positive 32-bit integer (%s)", elem, te.Value)})
	}
	return fmt.Errorf("%s: %w", elem, err)
}

// sortSearchInts is the index of the first of the sorted a greater than x.
func sortSearchInts(a []int, x int) int {
	i, _ := slices.BinarySearchFunc(a, x, func(e, t int) int {
		if e <= t {
			return -1
		}
		return 1
	})
	return i
}

// listOf decodes a list answer into *p, replacing what it held.
type listOf[T any] struct {
	p    *[]T
	what string
}

func (l listOf[T]) decode(s *scanner) error {
	if err := openList(s); err != nil {
		return err
	}
	*l.p = (*l.p)[:0]
	if err := decodeArray(s, l.what, l.p); err != nil {
		return err
	}
	return s.finish()
}

// roleList decodes the user roles. A role is read key by key so that its
// members, which may be most of a large tenant's answer, stream in chunks
// like a list instead of making one huge value.
type roleList struct{ p *[]Role }

func (l roleList) decode(s *scanner) error {
	if err := openList(s); err != nil {
		return err
	}
	*l.p = (*l.p)[:0]
	err := s.array("role", func(n int) error {
		var r Role
		if err := decodeRole(s, n, &r); err != nil {
			return err
		}
		*l.p = append(*l.p, r)
		return nil
	})
	if err != nil {
		return err
	}
	return s.finish()
}

// decodeRole reads one role object. As encoding/json does, keys match
// case-insensitively, unknown keys are ignored, null leaves a field
// absent, and a repeated key counts last.
func decodeRole(s *scanner, n int, r *Role) error {
	what := func() string { return fmt.Sprintf("role element %d", n+1) }
	c, _ := s.skipSpace()
	if c == 'n' {
		raw, err := s.value(what)
		if err == nil && string(raw) != "null" {
			err = fmt.Errorf("%s: invalid JSON %q", what(), snippet(string(raw)))
		}
		return err // a null role: no id, which the consistency check refuses
	}
	if c != '{' {
		return fmt.Errorf("%s: %w", what(), &json.UnmarshalTypeError{Value: "non-object", Type: roleType})
	}
	s.pos++
	for i := 0; ; i++ {
		c, ok := s.skipSpace()
		if !ok {
			return s.readErr()
		}
		if c == '}' {
			s.pos++
			return nil
		}
		if i > 0 {
			if c != ',' {
				return fmt.Errorf("invalid JSON in %s: want ',' or '}', found %q", what(), c)
			}
			s.pos++
			s.skipSpace()
		}
		rawKey, err := s.value(what)
		if err != nil {
			return err
		}
		var key string
		if err := json.Unmarshal(rawKey, &key); err != nil {
			return fmt.Errorf("%s: a key: %w", what(), err)
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		c, ok = s.skipSpace()
		if !ok {
			return s.readErr()
		}
		if strings.EqualFold(key, "members") && c == '[' {
			r.Members = []RoleMember{}
			if err := decodeArray(s, what()+" member", &r.Members); err != nil {
				return err
			}
			continue
		}
		raw, err := s.value(what)
		if err != nil {
			return err
		}
		var field any
		switch {
		case strings.EqualFold(key, "id"):
			var id int64
			if err := json.Unmarshal(raw, &id); err == nil && id != int64(int32(id)) {
				return inconsistent(finding{kind: badIDs, text: fmt.Sprintf("%s has an id that is not a positive 32-bit integer (%s)", what(), raw)})
			}
			field = &r.ID
		case strings.EqualFold(key, "name"):
			field = &r.Name
		case strings.EqualFold(key, "type"):
			field = &r.Type
		case strings.EqualFold(key, "description"):
			field = &r.Description
		case strings.EqualFold(key, "members"):
			if string(raw) == "null" {
				r.Members = nil // unknown membership
				continue
			}
			return fmt.Errorf("%s: members: %w", what(), &json.UnmarshalTypeError{Value: "non-array", Type: membersType})
		default:
			continue
		}
		if err := json.Unmarshal(raw, field); err != nil {
			return fmt.Errorf("%s: %s: %w", what(), key, err)
		}
	}
}

// userIDs reads only the ids of a user list: /v2/users is read to be
// counted against the typed lists, so its users are not decoded.
type userIDs struct{ p *[]int32 }

func (l userIDs) decode(s *scanner) error {
	if err := openList(s); err != nil {
		return err
	}
	*l.p = (*l.p)[:0]
	err := s.array("user", func(n int) error {
		raw, err := s.value(func() string { return fmt.Sprintf("user element %d", n+1) })
		if err != nil {
			return err
		}
		*l.p = append(*l.p, objectID(raw))
		return nil
	})
	if err != nil {
		return err
	}
	return s.finish()
}

// objectID returns the top-level "id" of a JSON object when it is a
// positive 32-bit integer, else 0. It walks the keys without decoding
// anything else.
func objectID(b []byte) int32 {
	if len(b) == 0 || b[0] != '{' {
		return 0
	}
	i := 1
	for {
		i = spaceEnd(b, i)
		if i >= len(b) || b[i] != '"' {
			return 0
		}
		ks := i
		var st valueState
		i, _ = st.advance(b, i)
		key := b[ks+1 : max(ks+1, i-1)]
		i = spaceEnd(b, i)
		if i >= len(b) || b[i] != ':' {
			return 0
		}
		i = spaceEnd(b, i+1)
		if i >= len(b) {
			return 0
		}
		vs := i
		st = valueState{}
		i, _ = st.advance(b, i)
		if string(key) == "id" {
			return positiveInt32(b[vs:i])
		}
		i = spaceEnd(b, i)
		if i >= len(b) || b[i] != ',' {
			return 0
		}
		i++
	}
}

func spaceEnd(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// positiveInt32 parses plain decimal digits; anything else is 0.
func positiveInt32(b []byte) int32 {
	if len(b) == 0 || len(b) > 10 {
		return 0
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if n <= 0 || n > 1<<31-1 {
		return 0
	}
	return int32(n)
}
