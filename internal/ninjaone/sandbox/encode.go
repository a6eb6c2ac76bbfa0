package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// reply is an answer computed by a handler. Small bodies are encoded into
// buf under the state lock and written after it is released; big lists
// stream instead: stream runs while the answer is written, takes the read
// lock itself and encodes straight onto the connection in small chunks, so
// a 30 MB list costs no 30 MB buffer.
type reply struct {
	status int
	header http.Header
	buf    *bytes.Buffer // JSON body; nil for none
	stream func(w io.Writer) error
}

// streamTimeout bounds how long a client may take to read a streamed list,
// which holds the read lock (and so holds up writes) meanwhile.
const streamTimeout = 30 * time.Second

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufPool.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	// Keep the pool from pinning the odd big answer for ever.
	if b.Cap() > 1<<20 {
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
	switch {
	case r.stream != nil:
		h.Set("Content-Type", "application/json")
		w.WriteHeader(r.status)
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Now().Add(streamTimeout)) // unsupported by recorders: fine
		r.stream(w)
		rc.SetWriteDeadline(time.Time{})
	case r.buf == nil:
		w.WriteHeader(r.status)
	default:
		defer r.release()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(r.buf.Len()))
		w.WriteHeader(r.status)
		w.Write(r.buf.Bytes())
	}
}

// encoder writes JSON values without the trailing newline json.Encoder
// adds and without escaping <, > and & (emails and names come back as they
// were given). With out set it passes its buffer on in chunks.
type encoder struct {
	buf *bytes.Buffer
	enc *json.Encoder
	out io.Writer
	err error
	ow  objWriter // the writer list.obj hands out, kept here to spare an allocation per element
}

const chunk = 32 << 10

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
	if e.out != nil && e.buf.Len() >= chunk {
		e.flush()
	}
}

func (e *encoder) raw(s string) { e.buf.WriteString(s) }

func (e *encoder) flush() {
	if e.err == nil && e.buf.Len() > 0 {
		_, e.err = e.out.Write(e.buf.Bytes())
	}
	e.buf.Reset()
}

// finish passes on what is left and reports the first error.
func (e *encoder) finish() error {
	if e.out != nil {
		e.flush()
	}
	return e.err
}

// list writes a JSON array, one element per call of item.
type list struct {
	e *encoder
	n int
}

func (e *encoder) list() *list {
	e.buf.WriteByte('[')
	return &list{e: e}
}

func (l *list) end() { l.e.buf.WriteByte(']') }

// obj starts the next element, an object the caller writes with the
// returned writer (sparse as the caller says) before calling done.
func (l *list) obj(sparse bool) *objWriter {
	if l.n > 0 {
		l.e.buf.WriteByte(',')
	}
	l.n++
	l.e.ow = objWriter{buf: l.e.buf, sparse: sparse}
	return &l.e.ow
}

// done passes the buffer on once it holds a chunk.
func (l *list) done() {
	if l.e.out != nil && l.e.buf.Len() >= chunk {
		l.e.flush()
	}
}

// streamList answers 200 with a JSON array that fill writes, under the
// read lock, as the answer goes out.
func (s *Server) streamList(fill func(l *list)) reply {
	return reply{status: http.StatusOK, stream: func(w io.Writer) error {
		buf := getBuf()
		defer putBuf(buf)
		e := newEncoder(buf)
		e.out = w
		l := e.list()
		s.mu.RLock()
		fill(l)
		s.mu.RUnlock()
		l.end()
		return e.finish()
	}}
}

// objReply answers with one object that write writes.
func (s *Server) objReply(status int, write func(w *objWriter)) reply {
	buf := getBuf()
	w := s.wire.writer(buf)
	write(&w)
	return reply{status: status, buf: buf}
}

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
func writeTenant(w io.Writer, st *store, seed *SeedInfo) error {
	buf := getBuf()
	defer putBuf(buf)
	e := newEncoder(buf)
	e.out = w
	sep := func(i int) {
		if i > 0 {
			e.raw(",\n  ")
		} else {
			e.raw("\n  ")
		}
	}
	e.raw(`{`)
	if seed != nil {
		// A state file's record of its seed (persist.go).
		e.raw(`"seed": `)
		e.value(seed)
		e.raw(",\n")
	}
	e.raw(`"organizations": [`)
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
	return e.finish()
}
