package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// reply is an answer computed under the state lock and written after it is
// released, so a slow client never holds up the others.
type reply struct {
	status int
	header http.Header
	buf    *bytes.Buffer // JSON body; nil for none
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	// Keep the pool from pinning the odd 30 MB list for ever.
	if b.Cap() > 64<<20 {
		return
	}
	b.Reset()
	bufPool.Put(b)
}

func (r reply) release() {
	if r.buf != nil {
		putBuf(r.buf)
	}
}

func (r reply) write(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range r.header {
		h[k] = v
	}
	if r.buf == nil {
		w.WriteHeader(r.status)
		return
	}
	defer r.release()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(r.buf.Len()))
	w.WriteHeader(r.status)
	w.Write(r.buf.Bytes())
}

// encoder writes JSON values into a pooled buffer without the trailing
// newline json.Encoder adds, and without escaping <, > and & (emails and
// names come back as they were given).
type encoder struct {
	buf *bytes.Buffer
	enc *json.Encoder
	err error
}

func newEncoder(buf *bytes.Buffer) *encoder {
	e := &encoder{buf: buf, enc: json.NewEncoder(buf)}
	e.enc.SetEscapeHTML(false)
	return e
}

func (e *encoder) value(v any) {
	if e.err != nil {
		return
	}
	if e.err = e.enc.Encode(v); e.err == nil {
		e.buf.Truncate(e.buf.Len() - 1)
	}
}

func (e *encoder) raw(s string) { e.buf.WriteString(s) }

// list writes a JSON array, one element per call of item.
type list struct {
	e *encoder
	n int
}

func (e *encoder) list() *list {
	e.buf.WriteByte('[')
	return &list{e: e}
}

func (l *list) item(v any) {
	if l.n > 0 {
		l.e.buf.WriteByte(',')
	}
	l.n++
	l.e.value(v)
}

func (l *list) end() { l.e.buf.WriteByte(']') }

func jsonReply(status int, v any) reply {
	buf := getBuf()
	e := newEncoder(buf)
	e.value(v)
	if e.err != nil {
		putBuf(buf)
		return appError(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "encoding the answer: "+e.err.Error())
	}
	return reply{status: status, buf: buf}
}

// AppError is NinjaOne's application error body.
type AppError struct {
	ResultCode   string         `json:"resultCode"`
	ErrorMessage string         `json:"errorMessage"`
	ErrorDetails map[string]any `json:"errorDetails,omitempty"`
	IncidentID   string         `json:"incidentId,omitempty"`
}

// AuthError is NinjaOne's authentication error body.
type AuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorCode        int    `json:"error_code,omitempty"`
}

func appError(status int, code, msg string) reply {
	return jsonReply(status, AppError{ResultCode: code, ErrorMessage: msg, IncidentID: newID()})
}

func authError(status int, code, desc string, num int) reply {
	return jsonReply(status, AuthError{Error: code, ErrorDescription: desc, ErrorCode: num})
}

// writeTenant writes the state in the seed format, one object per line so
// state files diff well, streaming from the store.
func writeTenant(w io.Writer, st *store) error {
	buf := getBuf()
	defer putBuf(buf)
	e := newEncoder(buf)
	var err error
	flush := func() {
		if err == nil && buf.Len() > 0 {
			_, err = w.Write(buf.Bytes())
		}
		buf.Reset()
	}
	sep := func(i int) {
		if i > 0 {
			e.raw(",\n  ")
		} else {
			e.raw("\n  ")
		}
		if buf.Len() > 1<<16 {
			flush()
		}
	}
	e.raw(`{"organizations": [`)
	for i, id := range st.orgOrder {
		sep(i)
		e.value(st.orgs[id])
	}
	e.raw("\n],\n\"roles\": [")
	for i, id := range st.roleOrder {
		sep(i)
		r := st.roles[id].Role
		if r.Members == nil {
			r.Members = []int32{}
		}
		e.value(&r)
	}
	e.raw("\n],\n\"users\": [")
	i := 0
	st.eachUser(func(u *user) {
		sep(i)
		i++
		e.value(&u.User)
	})
	e.raw("\n]}\n")
	flush()
	if e.err != nil {
		return e.err
	}
	return err
}
