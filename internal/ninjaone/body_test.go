package ninjaone

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// tinyLimits makes every chunk and buffer boundary fall inside the test
// bodies.
var tinyLimits = limits{body: 1 << 20, value: 16 << 10, items: 10_000, chunk: 7}

// decodeWith decodes body with d through a reader that returns one byte
// at a time, so every refill path is taken.
func decodeWith(body string, lim limits, d decoder) error {
	s := newScanner(iotest.OneByteReader(strings.NewReader(body)), lim)
	s.where, s.status = "GET /test", 200
	s.kind()
	return d.decode(s)
}

// The scanner splits a list into elements and decodes them in chunks; for
// every valid list the result is what encoding/json makes of the whole
// body, whatever the spacing, escapes, nesting or chunk boundaries.
func TestListDecodingAgreesWithEncodingJSON(t *testing.T) {
	bodies := []string{
		`[]`,
		` [ ] `,
		"\xEF\xBB\xBF[{\"id\":1}]",
		`[{"id":1,"email":"a@example.com"},{"id":2,"email":"b@example.com"}]`,
		"[\n  {\"id\": 1 ,\n \"firstName\" : \"A\\\"B\\\\\" } ,\r\n\t{ \"id\" : 2 }\n]\n",
		`[{"id":1,"firstName":"quote \" brace } bracket ] comma ,","lastName":"\\"},{"id":2,"lastName":"\\\\\""}]`,
		`[{"id":1,"tags":null,"fields":null,"organizationId":null,"phone":null,"uid":null,"enabled":null}]`,
		`[{"id":1,"unknown":{"deep":[1,{"x":[[]]},"}]"],"more":{}},"userType":"END_USER","roles":["a","b"]}]`,
		`[{"id":1,"firstName":"` + strings.Repeat("é", 3000) + `"}]`,
		`[{"id":7,"ID":8}]`,
		`[null,{"id":3}]`,
		`[{"id":1,"enabled":true,"administrator":false,"mfaConfigured":true,"fullPortalAccess":true}]`,
	}
	// And a generated list large enough for many chunks.
	var b strings.Builder
	b.WriteString("[")
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		if i > 0 {
			b.WriteString(strings.Repeat(" ", r.IntN(3)) + "," + strings.Repeat("\n", r.IntN(2)))
		}
		fmt.Fprintf(&b, `{"id":%d,"email":"u%d@example.com","firstName":%q,"x":[%d,{"y":"]"}]}`, i+1, i, strings.Repeat(`\"{[`, r.IntN(4)), i)
	}
	b.WriteString("]")
	bodies = append(bodies, b.String())

	for i, body := range bodies {
		var want []User
		if err := json.Unmarshal([]byte(strings.TrimPrefix(body, "\xEF\xBB\xBF")), &want); err != nil {
			t.Fatalf("body %d is not valid: %v", i, err)
		}
		for _, lim := range []limits{tinyLimits, defaultLimits} {
			got := []User{{ID: 99, Email: "stale@example.com", Administrator: true}}
			if err := decodeWith(body, lim, listOf[User]{p: &got, what: "user"}); err != nil {
				t.Errorf("body %d, chunk %d: %v", i, lim.chunk, err)
				continue
			}
			if want == nil {
				want = []User{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("body %d, chunk %d (-encoding/json +scanner):\n%s", i, lim.chunk, diff)
			}
		}
	}
}

// Roles are read key by key so that their members stream in chunks; the
// result is still encoding/json's.
func TestRoleDecodingAgreesWithEncodingJSON(t *testing.T) {
	var many strings.Builder
	for i := range 500 {
		if i > 0 {
			many.WriteString(" , ")
		}
		fmt.Fprintf(&many, `{"id":%d,"email":"m%d@example.com","name":"M \"%d\"","source":null,"extra":{"a":[1]}}`, i+1, i, i)
	}
	bodies := []string{
		`[]`,
		`[{"id":1,"name":"A","type":"TECHNICIAN","description":"d","members":[]}]`,
		`[{"id":1,"name":"A","members":null},{"id":2,"name":"B"}]`,
		`[{"members":[{"id":5}],"id":3,"NAME":"upper","Type":"END_USER"}]`,
		`[{"id":1,"members":[{"id":1}],"members":[{"id":2},{"id":3}]}]`,
		`[ { "id" : 4 , "name" : "x\"}]" , "members" : [ ` + many.String() + ` ] , "unknown" : {"members":[{"id":9}]} } ]`,
		`[{"id":1,"members":[{"id":1}]},{"id":2,"members":[` + many.String() + `]}]`,
		`[{"id":1,"description":null,"name":null,"type":null}]`,
	}
	for i, body := range bodies {
		var want []Role
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatalf("body %d is not valid: %v", i, err)
		}
		if want == nil {
			want = []Role{}
		}
		for _, lim := range []limits{tinyLimits, defaultLimits} {
			got := []Role{{ID: 99, Name: "stale"}}
			if err := decodeWith(body, lim, roleList{&got}); err != nil {
				t.Errorf("body %d, chunk %d: %v", i, lim.chunk, err)
				continue
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b []RoleMember) bool {
				// [] and nil differ: nil is unknown membership.
				return (a == nil) == (b == nil) && cmp.Equal([]RoleMember(a), []RoleMember(b), cmp.Transformer("", func(m []RoleMember) []RoleMember { return append([]RoleMember{}, m...) }))
			})); diff != "" {
				t.Errorf("body %d, chunk %d (-encoding/json +scanner):\n%s", i, lim.chunk, diff)
			}
		}
	}
}

// FuzzListDecoding holds the scanner to encoding/json on any input: the
// same users when both accept it, and never a success where encoding/json
// refuses the whole body.
func FuzzListDecoding(f *testing.F) {
	for _, s := range []string{`[]`, `[{"id":1}]`, `[{"id":1,"a":"\"]"},{"id":2}]`, `[{"id":1}`, `[{"id":1}]]`, `[,]`, `[{"id":1},]`, `[1,"x",null]`, `{"id":1}`, `[{"id":"1"}]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var want []User
		werr := json.Unmarshal([]byte(body), &want)
		var got []User
		gerr := decodeWith(body, tinyLimits, listOf[User]{p: &got, what: "user"})
		if gerr == nil && werr != nil {
			t.Fatalf("scanner accepted %q, which encoding/json refuses: %v", body, werr)
		}
		if gerr == nil && werr == nil && !cmp.Equal(want, got, cmp.Comparer(func(a, b []User) bool { return len(a) == len(b) && (len(a) == 0 || cmp.Equal([]User(a), []User(b))) })) {
			t.Fatalf("%q: scanner %+v, encoding/json %+v", body, got, want)
		}
	})
}

// Every answer is bounded: in bytes, per value, in the objects decoded,
// with an error that says so, and never retried.
func TestAnswersAreBounded(t *testing.T) {
	lim := limits{body: 4 << 10, value: 512, items: 20, chunk: 64}
	elems := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"id":%d}`, i+1)
		}
		return b.String() + "]"
	}
	tests := []struct {
		name string
		body string
		d    func() decoder
		want string
	}{
		{"body over the limit", elems(400), func() decoder { return listOf[User]{p: new([]User)} },
			"the body is larger than 4 KiB"},
		{"one huge element", `[{"id":1,"firstName":"` + strings.Repeat("x", 1000) + `"}]`, func() decoder { return listOf[User]{p: new([]User), what: "user"} },
			"user element 1 is larger than 512 bytes"},
		{"one huge member", `[{"id":1,"members":[{"id":2,"name":"` + strings.Repeat("x", 1000) + `"}]}]`, func() decoder { return roleList{new([]Role)} },
			"role element 1 member element 1 is larger than 512 bytes"},
		{"too many users", elems(21), func() decoder { return listOf[User]{p: new([]User)} }, "more than 20 objects"},
		{"too many members", `[{"id":1,"members":` + elems(20) + `}]`, func() decoder { return roleList{new([]Role)} }, "more than 20 objects"},
		{"too many ids", elems(21), func() decoder { return userIDs{new([]int32)} }, "more than 20 objects"},
		{"one huge single value", `{"id":1,"firstName":"` + strings.Repeat("x", 1000) + `"}`, func() decoder { return single{new(User)} }, "the answer is larger than 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lim := lim
			if tt.name == "body over the limit" {
				lim.items = 1000
			}
			err := decodeWith(tt.body, lim, tt.d())
			if !errors.Is(err, errTooLarge) || !strings.Contains(err.Error(), tt.want) || !permanent(err) {
				t.Errorf("err = %v, want errTooLarge saying %q", err, tt.want)
			}
		})
	}
	// Exactly at the limits is fine.
	var got []User
	if err := decodeWith(elems(20), lim, listOf[User]{p: &got}); err != nil || len(got) != 20 {
		t.Errorf("20 users: %d, %v", len(got), err)
	}
	body := `[{"id":1,"firstName":"` + strings.Repeat("x", 4<<10-len(`[{"id":1,"firstName":""}]`)) + `"}]`
	if err := decodeWith(body, limits{body: 4 << 10, value: 8 << 10, items: 20, chunk: 64}, listOf[User]{p: new([]User)}); err != nil {
		t.Errorf("a body of exactly the limit: %v", err)
	}
}

// endless is a body that never ends: "[" then elements forever.
type endless struct {
	elem []byte
	sent int64
	pos  int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	if e.sent == 0 {
		p[0] = '['
		n = 1
	}
	for n < len(p) {
		c := copy(p[n:], e.elem[e.pos:])
		n += c
		e.pos = (e.pos + c) % len(e.elem)
	}
	e.sent += int64(n)
	return n, nil
}

// A never-ending list stops at the object limit, having read a bounded
// part of the body, with memory for what was decoded and no more.
func TestNeverEndingListStopsAtTheItemLimit(t *testing.T) {
	lim := defaultLimits
	lim.items = 100_000
	for _, d := range []func(*[]User) decoder{
		func(p *[]User) decoder { return listOf[User]{p: p} },
		func(*[]User) decoder { return userIDs{new([]int32)} },
	} {
		src := &endless{elem: []byte(`{"id":1},`)}
		s := newScanner(src, lim)
		s.kind()
		var got []User
		err := d(&got).decode(s)
		if !errors.Is(err, errTooLarge) || !strings.Contains(err.Error(), "more than 100000 objects") {
			t.Fatalf("err = %v", err)
		}
		if max := int64(lim.items+1)*9 + int64(lim.chunk) + 64<<10; src.sent > max {
			t.Errorf("read %d bytes of an endless list, want at most %d", src.sent, max)
		}
		if len(got) > lim.items {
			t.Errorf("decoded %d users past the limit", len(got))
		}
		if len(s.buf) > 2*(lim.chunk+1) {
			t.Errorf("the buffer grew to %d bytes", len(s.buf))
		}
	}
	// The same for role members.
	src := &endless{elem: []byte(`{"id":1},`)}
	s := newScanner(io.MultiReader(strings.NewReader(`[{"id":1,"members":`), src), lim)
	s.kind()
	err := roleList{new([]Role)}.decode(s)
	if !errors.Is(err, errTooLarge) || src.sent > int64(lim.items+1)*9+int64(lim.chunk)+64<<10 {
		t.Errorf("endless members: err = %v after %d bytes", err, src.sent)
	}
}

// Whitespace costs one look per byte: the scanner compacts it away
// instead of keeping and re-scanning it. Counted, not timed: the reads
// the scanner asks of a body of spaces stay proportional to the body.
func TestWhitespaceIsReadOnce(t *testing.T) {
	for _, n := range []int{1 << 20, 8 << 20} {
		body := bytes.Repeat([]byte(" \n\t\r"), n/4)
		cr := &countingReader{r: bytes.NewReader(append(append([]byte("["), body...), []byte(`{"id":1}`+string(body)+`]`+string(body))...))}
		s := newScanner(cr, defaultLimits)
		s.kind()
		var got []User
		if err := (listOf[User]{p: &got}).decode(s); err != nil || len(got) != 1 {
			t.Fatalf("%d bytes of space: %v, %v", n, got, err)
		}
		if len(s.buf) > 2*(defaultLimits.chunk+1) {
			t.Errorf("%d bytes of space grew the buffer to %d bytes", n, len(s.buf))
		}
		if cr.bytes != int64(3*len(body)+10) {
			t.Errorf("read %d bytes, want %d", cr.bytes, 3*len(body)+10)
		}
	}
}

type countingReader struct {
	r     io.Reader
	bytes int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bytes += int64(n)
	return n, err
}

func TestObjectID(t *testing.T) {
	for in, want := range map[string]int32{
		`{"id":7}`:                           7,
		`{ "a" : {"id":1} , "id" : 12 }`:     12,
		`{"x":"\"id\":3","id":4}`:            4,
		`{"id":"7"}`:                         0,
		`{"id":-1}`:                          0,
		`{"id":0}`:                           0,
		`{"id":2147483648}`:                  0,
		`{"id":2147483647}`:                  2147483647,
		`{"id":1.5}`:                         0,
		`{"name":"x"}`:                       0,
		`null`:                               0,
		`{"tags":null,"fields":null,"id":9}`: 9,
	} {
		if got := objectID([]byte(in)); got != want {
			t.Errorf("objectID(%s) = %d, want %d", in, got, want)
		}
	}
}
