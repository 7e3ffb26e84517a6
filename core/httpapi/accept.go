package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// accept turns a read upload into a stored package: it checks the
// parameters, calls the hook if the operation declares one and builds the
// link while it makes the bytes durable, and only then commits the row.
// On any failure nothing is left behind.
func (s *Server) accept(ctx context.Context, m *Mounted, kind sdk.OperationKind, r *http.Request, in *intake) (*store.Package, *failure) {
	op := m.Dir.Operation(kind)
	bound, vs := op.Bind(in, s.opts.Location)
	if len(vs) > 0 {
		return nil, invalid(s.withHookViolations(ctx, m, kind, op, bound, in, vs)...)
	}
	// PostgreSQL keeps microseconds; the answer shows what is stored.
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	id, err := uuid.NewV7()
	if err != nil {
		return nil, s.serverFailure(ctx, "allocate an id", err)
	}
	p := &store.Package{
		ID:        id.String(),
		Direction: m.Dir.Name(),
		Kind:      packageKind(kind),
		UID:       newUID(m.Dir.Manifest.UIDFormat),
		Filename:  bound.Filename,
		Size:      in.file.Size(),
		SHA256:    in.file.SHA256(),
		DateIn:    store.Time{Time: now},
		Attrs:     store.Attrs{},
	}
	for field, value := range bound.Fields {
		setField(p, field, value)
	}
	if op.Binds(sdk.FieldClientIP) && p.ClientIP == "" {
		p.ClientIP = store.NullString(clientIP(r))
	}
	if op.Binds(sdk.FieldSentAt) {
		sent := now
		if at, ok := bound.Times[sdk.FieldSentAt]; ok {
			sent = at.UTC()
		}
		p.SentAt = store.NullTime{Time: store.Time{Time: sent}, Valid: true}
	}
	// The bytes are made durable while the hook, the gate and the link are
	// worked out: neither needs the other, and the row waits for both.
	committed := make(chan error, 1)
	go func() { committed <- in.file.Commit(ctx, p.ID) }()
	f := s.derive(ctx, m, kind, op, p)
	if err := <-committed; err != nil && f == nil {
		f = s.serverFailure(ctx, "store the package", err)
	}
	if f != nil {
		in.file.Abort()
		return nil, f
	}
	if err := s.opts.Store.Insert(ctx, p); err != nil {
		in.file.Abort()
		if errors.Is(err, store.ErrGateConflict) {
			return nil, &failure{
				status: http.StatusConflict, code: "gate_conflict",
				message: "the guid belongs to another gate in this direction",
				violations: []sdk.Violation{{Param: "gate", Kind: sdk.ViolationConflict,
					Args: map[string]string{"detail": "differs from the gate this guid belongs to"}}},
			}
		}
		return nil, s.serverFailure(ctx, "record the package", err)
	}
	if err := in.file.Settle(); err != nil {
		// The package is stored; the note left behind is settled at the
		// next start.
		s.opts.Logger.Warn("settle a stored package", "id", p.ID, "error", err)
	}
	if err := s.opts.Links.Record(string(p.LinkPath), p); err != nil {
		// Its downloads ask the database until the first writes the record.
		s.opts.Logger.Warn("record a stored package's link", "id", p.ID, "error", err)
	}
	return p, nil
}

// derive completes the package from what the request left to others: the
// hook's fields, the gate the store knows for the guid, and the link.
func (s *Server) derive(ctx context.Context, m *Mounted, kind sdk.OperationKind, op *enforce.Operation, p *store.Package) *failure {
	if op.Hook() {
		if f := s.runHook(ctx, m, kind, p); f != nil {
			return f
		}
	}
	if p.Kind == store.KindInbound && p.Gate == "" && p.GUID != "" {
		gate, err := s.opts.Store.GateOf(ctx, p.Direction, string(p.GUID))
		if err != nil && !store.IsNotFound(err) {
			return s.serverFailure(ctx, "look up the gate", err)
		}
		p.Gate = store.NullString(gate)
	}
	if op.Link == nil {
		return nil
	}
	link, err := op.Link.Render(func(field string) string { return enforce.StringField(p, field) })
	var missing *enforce.MissingFieldError
	if errors.As(err, &missing) && op.ParamFor(missing.Field) != "" {
		// The request left out what the link needs, and the store did not
		// know it either: say so as that parameter's violation.
		return invalid(sdk.Violation{Param: op.ParamFor(missing.Field), Kind: sdk.ViolationMissing})
	}
	if err != nil {
		return &failure{status: http.StatusBadRequest, message: err.Error(), code: "invalid_request"}
	}
	p.Link, p.LinkPath = store.NullString(link.Text), store.NullString(link.Path)
	return nil
}

// runHook calls the plugin's upload hook and applies its answer.
func (s *Server) runHook(ctx context.Context, m *Mounted, kind sdk.OperationKind, p *store.Package) *failure {
	fields := map[string]string{}
	for _, f := range []string{sdk.FieldType, sdk.FieldGUID, sdk.FieldGate, sdk.FieldCode, sdk.FieldClientIP} {
		if v := enforce.StringField(p, f); v != "" {
			fields[f] = v
		}
	}
	for k, v := range p.Attrs {
		fields[k] = v
	}
	res, f := s.callHook(ctx, m, sdk.UploadRequest{
		Operation: kind, Filename: p.Filename, Fields: fields, Size: p.Size, SHA256: p.SHA256,
	})
	if f != nil {
		return f
	}
	if len(res.Violations) > 0 {
		return invalid(res.Violations...)
	}
	for field, value := range res.Fields {
		if !m.Dir.HookSettable(field) {
			return s.serverFailure(ctx, "apply the plugin's answer", errors.New("the hook set the undeclared field "+field))
		}
		setField(p, field, value)
	}
	return nil
}

// withHookViolations asks the hook about a request the host already
// refused, so a client learns every fault at once: a bad header and a bad
// file name together. The hook sees the values that passed; when it cannot
// be asked (no file, the plugin down), the host's violations stand alone.
func (s *Server) withHookViolations(ctx context.Context, m *Mounted, kind sdk.OperationKind, op *enforce.Operation,
	bound enforce.Bound, in *intake, vs []sdk.Violation) []sdk.Violation {
	if !op.Hook() || bound.Filename == "" {
		return vs
	}
	res, f := s.callHook(ctx, m, sdk.UploadRequest{
		Operation: kind, Filename: bound.Filename, Fields: bound.Fields, Size: in.file.Size(), SHA256: in.file.SHA256(),
	})
	if f != nil {
		return vs
	}
	return op.WithHookViolations(vs, res.Violations)
}

// callHook calls the plugin's upload hook within the call timeout.
func (s *Server) callHook(ctx context.Context, m *Mounted, req sdk.UploadRequest) (sdk.UploadResult, *failure) {
	plugin, err := m.Plugin.Direction()
	if err != nil {
		return sdk.UploadResult{}, unavailable(m)
	}
	callCtx, cancel := context.WithTimeout(ctx, s.opts.CallTimeout)
	defer cancel()
	res, err := plugin.PrepareUpload(callCtx, req)
	if err != nil {
		switch status.Code(err) {
		case codes.Unavailable, codes.Canceled, codes.DeadlineExceeded:
			if ctx.Err() == nil {
				return sdk.UploadResult{}, unavailable(m)
			}
		}
		return sdk.UploadResult{}, s.serverFailure(ctx, "process the package in the "+m.Dir.Name()+" plugin", err)
	}
	return res, nil
}

func unavailable(m *Mounted) *failure {
	return &failure{
		status: http.StatusServiceUnavailable, code: "direction_unavailable",
		message:    "the " + m.Dir.Name() + " direction is restarting; retry shortly",
		retryAfter: m.Plugin.RetryAfter(),
	}
}

// setRetryAfter tells a client of a 503 when the plugin will be back, in
// whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, f *failure) {
	if f.status != http.StatusServiceUnavailable {
		return
	}
	seconds := max(1, int((f.retryAfter+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(seconds))
}

func packageKind(op sdk.OperationKind) store.Kind {
	switch op {
	case sdk.OpDeliver:
		return store.KindInbound
	case sdk.OpPublish:
		return store.KindMailing
	}
	return store.KindUpload
}

// setField sets a bound or derived value on the package: a column for a
// common field, an attribute otherwise.
func setField(p *store.Package, field, value string) {
	v := store.NullString(value)
	switch field {
	case sdk.FieldType:
		p.Type = v
	case sdk.FieldGUID:
		p.GUID = v
	case sdk.FieldGate:
		p.Gate = v
	case sdk.FieldCode:
		p.Code = v
	case sdk.FieldClientIP:
		p.ClientIP = v
	default:
		p.Attrs[field] = value
	}
}

// newUID is a fresh 128-bit uid in the direction's rendering.
func newUID(format sdk.UIDFormat) string {
	id := uuid.New()
	if format == sdk.UIDHex {
		return strings.ReplaceAll(id.String(), "-", "")
	}
	return id.String()
}

// clientIP is where an upload came from when the client did not say: the
// first X-Forwarded-For address, else the connection's address.
func clientIP(r *http.Request) string {
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		first, _, _ := strings.Cut(xff, ",")
		if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
