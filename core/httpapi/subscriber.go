package httpapi

import (
	"bufio"
	"context"
	"net/http"
	"time"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// writeDirectionFailure renders a failure in the direction's own format.
func writeDirectionFailure(w http.ResponseWriter, m *Mounted, f *failure) {
	setRetryAfter(w, f)
	if len(f.violations) > 0 {
		m.Dir.Errors.WriteInvalid(w, f.status, f.violations)
		return
	}
	m.Dir.Errors.WriteFailure(w, f.status, f.message)
}

// upload is POST {prefix}/packages: a subscriber's package, answered with
// the operation's declared response.
func (s *Server) upload(m *Mounted) http.HandlerFunc {
	op := m.Dir.Operation(sdk.OpUpload)
	return func(w http.ResponseWriter, r *http.Request) {
		in, f := s.readIntake(w, r, op.FileParam())
		if f != nil {
			writeDirectionFailure(w, m, f)
			return
		}
		defer in.discard()
		p, f := s.accept(r.Context(), m, sdk.OpUpload, r, in)
		if f != nil {
			writeDirectionFailure(w, m, f)
			return
		}
		body := op.Response.AppendItem(nil, p, s.opts.Location)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

// list is GET {prefix}/packages: the subscriber's inbound packages.
func (s *Server) list(m *Mounted) http.HandlerFunc {
	op := m.Dir.Operation(sdk.OpList)
	shape := store.ShapeFor(op.Response.Fields())
	return func(w http.ResponseWriter, r *http.Request) {
		bound, f := s.bindQuery(r, op)
		if f != nil {
			writeDirectionFailure(w, m, f)
			return
		}
		filter := store.InboundFilter{
			Direction: m.Dir.Name(),
			Type:      bound.Fields[sdk.FieldType],
			GUID:      bound.Fields[sdk.FieldGUID],
			Gate:      bound.Fields[sdk.FieldGate],
		}
		query := func(each func(*store.Row) error) error {
			return s.opts.Store.EachInbound(r.Context(), filter, shape, each)
		}
		if filter.Gate == "" || filter.GUID != "" {
			s.stream(w, r, m, op.Response, 0, query)
			return
		}
		// A list of a gate: hundreds of packages, polled again and again by
		// the gateway, and answered from memory while the gate is unchanged.
		key := keptListKey{dir: m.Dir, op: sdk.OpList, typ: filter.Type, gate: filter.Gate}
		s.serveKept(w, r, m, op.Response, key, func(ctx context.Context) (int64, error) {
			return s.opts.Store.GateVersion(ctx, filter.Direction, filter.Gate)
		}, query)
	}
}

// massreport is GET {prefix}/massreport: mass mailings received in a date
// range, today by default, the end inclusive.
func (s *Server) massreport(m *Mounted) http.HandlerFunc {
	op := m.Dir.Operation(sdk.OpMassreport)
	shape := store.ShapeFor(op.Response.Fields())
	return func(w http.ResponseWriter, r *http.Request) {
		bound, f := s.bindQuery(r, op)
		if f != nil {
			writeDirectionFailure(w, m, f)
			return
		}
		since, until := mailingRange(bound, s.opts.Now().In(s.opts.Location))
		filter := store.MailingFilter{
			Direction: m.Dir.Name(), Code: bound.Fields[sdk.FieldCode], Since: since, Until: until,
		}
		query := func(each func(*store.Row) error) error {
			return s.opts.Store.EachMailing(r.Context(), filter, shape, each)
		}
		// Every subscriber of an office asks for the same massreport, and
		// a direction's mailings change only when one is published: it is
		// answered from memory while they are unchanged.
		key := keptListKey{dir: m.Dir, op: sdk.OpMassreport, code: filter.Code, since: instantOf(since), until: instantOf(until)}
		s.serveKept(w, r, m, op.Response, key, func(ctx context.Context) (int64, error) {
			return s.opts.Store.MailingVersion(ctx, filter.Direction)
		}, query)
	}
}

// mailingRange is the half-open range [since, until) a massreport asks
// for. Without a start it begins today; without an end it ends with
// today; an end given as a bare date includes that whole day, and one
// given to the second includes that second.
func mailingRange(b enforce.Bound, now time.Time) (since, until time.Time) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	since, until = today, today.AddDate(0, 0, 1)
	if at, ok := b.Times[sdk.FieldSince]; ok {
		since = at.Time
	}
	if at, ok := b.Times[sdk.FieldUntil]; ok {
		if at.DateOnly {
			until = at.AddDate(0, 0, 1)
		} else {
			until = at.Add(time.Second)
		}
	}
	return since, until
}

func (s *Server) bindQuery(r *http.Request, op *enforce.Operation) (enforce.Bound, *failure) {
	src, f := readQuery(r)
	if f != nil {
		return enforce.Bound{}, f
	}
	bound, vs := op.Bind(src, s.opts.Location)
	if len(vs) > 0 {
		return enforce.Bound{}, invalid(vs...)
	}
	return bound, nil
}

// streamBuffer is how much of a list is gathered before it is written.
const streamBuffer = 32 << 10

// stream writes a JSON array as the rows are read, so a list of any
// length takes constant memory. Until the first row the status can still
// change; after it, an error can only cut the response short, which the
// client sees as a broken body rather than a short, valid-looking list.
//
// With keepUpTo > 0 it also returns a copy of the whole body, when the
// body was written in full and came to no more than keepUpTo bytes, and
// nil otherwise.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, m *Mounted, resp *enforce.Response, keepUpTo int, query func(func(*store.Row) error) error) []byte {
	var (
		bw      *bufio.Writer
		scratch []byte
		count   int
		kept    []byte
		keeping = keepUpTo > 0
	)
	keep := func(b []byte) {
		if keeping {
			if len(kept)+len(b) > keepUpTo {
				keeping, kept = false, nil
				return
			}
			kept = append(kept, b...)
		}
	}
	start := func() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		bw = s.writers.Get().(*bufio.Writer)
		bw.Reset(w)
		bw.WriteByte('[')
		keep([]byte{'['})
	}
	defer func() {
		if bw != nil {
			bw.Reset(nil)
			s.writers.Put(bw)
		}
	}()
	err := query(func(p *store.Row) error {
		if bw == nil {
			start()
		}
		scratch = scratch[:0]
		if count > 0 {
			scratch = append(scratch, ", "...)
		}
		scratch = resp.AppendItem(scratch, p, s.opts.Location)
		count++
		keep(scratch)
		_, err := bw.Write(scratch)
		return err
	})
	if err != nil {
		if bw == nil {
			writeDirectionFailure(w, m, s.serverFailure(r.Context(), "read the list", err))
			return nil
		}
		if r.Context().Err() == nil {
			s.opts.Logger.Error("list cut short", "direction", m.Dir.Name(), "error", err)
		}
		panic(http.ErrAbortHandler)
	}
	if bw == nil {
		start()
	}
	bw.WriteByte(']')
	keep([]byte{']'})
	if err := bw.Flush(); err != nil || !keeping {
		return nil
	}
	return kept
}
