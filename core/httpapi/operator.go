package httpapi

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// Outbox page sizes.
const (
	defaultOutboxLimit = 100
	maxOutboxLimit     = 1000
)

func (s *Server) operatorRoutes(r *mux.Router) {
	r.Use(s.requireOperator)
	r.HandleFunc("/directions/{direction}/packages", s.deliver(sdk.OpDeliver)).Methods(http.MethodPost)
	r.HandleFunc("/directions/{direction}/massreports", s.deliver(sdk.OpPublish)).Methods(http.MethodPost)
	r.HandleFunc("/directions/{direction}/outbox", s.outbox).Methods(http.MethodGet)
	r.HandleFunc("/packages/{id}/content", s.content).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/packages/{id}/ack", s.ack).Methods(http.MethodPost)
	if s.opts.Reload != nil {
		r.HandleFunc("/reload", s.reload).Methods(http.MethodPost)
	}
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.operatorNoRoute(w, req, r)
	})
	r.MethodNotAllowedHandler = r.NotFoundHandler
}

// operatorNoRoute answers a request no operator route took: 405 when a
// route has the path but not the method, 404 otherwise, and 404 or 401
// before either while the API is off or the token is wrong. gorilla/mux
// 1.8.1 forgets a method mismatch once it tries a later route of a
// subrouter, so the other methods are tried here instead.
func (s *Server) operatorNoRoute(w http.ResponseWriter, req *http.Request, r *mux.Router) {
	var allowed []string
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
		probe := *req
		probe.Method = method
		var match mux.RouteMatch
		if method != req.Method && r.Match(&probe, &match) && match.MatchErr == nil {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) == 0 || len(s.opts.OperatorTokens) == 0 || !s.authorized(req) {
		s.operatorNotFound(w, req)
		return
	}
	w.Header().Set("Allow", joinMethods(allowed))
	writeOperatorError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the route does not take this method")
}

// operatorNotFound answers an unknown operator route: 404 in the operator
// format, or the plain 404 while the operator API is off.
func (s *Server) operatorNotFound(w http.ResponseWriter, r *http.Request) {
	if len(s.opts.OperatorTokens) == 0 {
		notFound(w, r)
		return
	}
	if !s.authorized(r) {
		unauthorized(w)
		return
	}
	writeOperatorError(w, http.StatusNotFound, "not_found", "no such operator route")
}

// requireOperator lets through only requests with a configured bearer
// token. Without tokens the operator API does not exist.
func (s *Server) requireOperator(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case len(s.opts.OperatorTokens) == 0:
			notFound(w, r)
		case !s.authorized(r):
			unauthorized(w)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) authorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	// Compare with every token, in constant time, so the answer's timing
	// tells nothing about which tokens exist.
	match := 0
	for _, t := range s.opts.OperatorTokens {
		match |= subtle.ConstantTimeCompare([]byte(token), []byte(t))
	}
	return match == 1
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="reportgate operator"`)
	writeOperatorError(w, http.StatusUnauthorized, "unauthorized", "a valid operator bearer token is required")
}

type operatorError struct {
	Error operatorErrorBody `json:"error"`
}

type operatorErrorBody struct {
	Code    string           `json:"code"`
	Message string           `json:"message"`
	Details []operatorDetail `json:"details,omitempty"`
}

type operatorDetail struct {
	Param   string `json:"param"`
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

func writeOperatorError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, operatorError{Error: operatorErrorBody{Code: code, Message: message}})
}

// writeOperatorFailure renders a failure in the operator format; the
// messages of violations come from the direction's declared texts.
func writeOperatorFailure(w http.ResponseWriter, m *Mounted, f *failure) {
	setRetryAfter(w, f)
	body := operatorErrorBody{Code: f.code, Message: f.message}
	var parts []string
	for _, v := range f.violations {
		text, _ := m.Dir.Errors.Message(v)
		body.Details = append(body.Details, operatorDetail{Param: v.Param, Kind: v.Kind, Message: text})
		parts = append(parts, v.Param+": "+text)
	}
	if body.Message == "" {
		body.Message = strings.Join(parts, "; ")
	}
	writeJSON(w, f.status, operatorError{Error: body})
}

// operatorDirection finds the route's direction and the operation, or
// answers 404.
func (s *Server) operatorDirection(w http.ResponseWriter, r *http.Request) *Mounted {
	name := mux.Vars(r)["direction"]
	m := s.direction(name)
	if m == nil {
		writeOperatorError(w, http.StatusNotFound, "unknown_direction", "no enabled direction is named "+strconv.Quote(name))
		return nil
	}
	return m
}

// deliver is the operator handing a package to a subscriber (OpDeliver)
// or publishing a mass mailing (OpPublish).
func (s *Server) deliver(kind sdk.OperationKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := s.operatorDirection(w, r)
		if m == nil {
			return
		}
		op := m.Dir.Operation(kind)
		if op == nil {
			writeOperatorError(w, http.StatusNotFound, "not_supported", "the "+m.Dir.Name()+" direction does not take "+string(kind))
			return
		}
		in, f := s.readIntake(w, r, op.FileParam())
		if f != nil {
			writeOperatorFailure(w, m, f)
			return
		}
		defer in.discard()
		p, f := s.accept(r.Context(), m, kind, r, in)
		if f != nil {
			writeOperatorFailure(w, m, f)
			return
		}
		writeJSON(w, http.StatusCreated, delivered{
			ID: p.ID, UID: p.UID, Link: string(p.Link), Filename: p.Filename,
			DateIn: p.DateIn.In(s.opts.Location).Format(enforce.LayoutDateTime),
		})
	}
}

// delivered is the answer to a delivery or a publication.
type delivered struct {
	ID       string `json:"id"`
	UID      string `json:"uid"`
	Link     string `json:"link"`
	Filename string `json:"filename"`
	DateIn   string `json:"date_in"`
}

// outboxItem is a subscriber's upload as the operator forwards it.
type outboxItem struct {
	ID         string            `json:"id"`
	Filename   string            `json:"filename"`
	GUID       *string           `json:"guid"`
	Type       *string           `json:"type"`
	Gate       *string           `json:"gate"`
	ClientIP   *string           `json:"client_ip"`
	DateIn     string            `json:"date_in"`
	SentAt     *string           `json:"sent_at"`
	Size       int64             `json:"size"`
	SHA256     string            `json:"sha256"`
	AckedAt    *string           `json:"acked_at,omitempty"`
	Attributes map[string]string `json:"attributes"`
}

func (s *Server) outboxItem(p *store.Package) outboxItem {
	optional := func(v store.NullString) *string {
		if v == "" {
			return nil
		}
		str := string(v)
		return &str
	}
	at := func(t store.NullTime) *string {
		if !t.Valid {
			return nil
		}
		str := t.In(s.opts.Location).Format(enforce.LayoutDateTime)
		return &str
	}
	attrs := p.Attrs
	if attrs == nil {
		attrs = store.Attrs{}
	}
	return outboxItem{
		ID: p.ID, Filename: p.Filename, GUID: optional(p.GUID), Type: optional(p.Type),
		Gate: optional(p.Gate), ClientIP: optional(p.ClientIP),
		DateIn: p.DateIn.In(s.opts.Location).Format(enforce.LayoutDateTime), SentAt: at(p.SentAt),
		Size: p.Size, SHA256: p.SHA256, AckedAt: at(p.AckedAt), Attributes: attrs,
	}
}

// outbox is the page of a direction's uploads not yet acknowledged.
func (s *Server) outbox(w http.ResponseWriter, r *http.Request) {
	m := s.operatorDirection(w, r)
	if m == nil {
		return
	}
	q, f := readQuery(r)
	if f != nil {
		writeOperatorError(w, http.StatusBadRequest, "invalid_request", "the query string does not parse")
		return
	}
	limit := defaultOutboxLimit
	if v := q.query.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxOutboxLimit {
			writeOperatorError(w, http.StatusBadRequest, "invalid_request", "limit must be a whole number from 1 to 1000")
			return
		}
		limit = n
	}
	var after store.Cursor
	if v := q.query.Get("after"); v != "" {
		c, ok := decodeCursor(v)
		if !ok {
			writeOperatorError(w, http.StatusBadRequest, "invalid_request", "after is not a cursor this server issued")
			return
		}
		after = c
	}
	// One row more than asked tells whether there is a next page.
	rows, err := s.opts.Store.Outbox(r.Context(), m.Dir.Name(), after, limit+1)
	if err != nil {
		writeOperatorFailure(w, m, s.serverFailure(r.Context(), "read the outbox", err))
		return
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		cursor := encodeCursor(rows[len(rows)-1].Cursor())
		next = &cursor
	}
	items := make([]outboxItem, 0, len(rows))
	for i := range rows {
		items = append(items, s.outboxItem(&rows[i].Package))
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next": next})
}

// encodeCursor hides the cursor's parts, so clients treat it as opaque
// and the server may change what it holds.
func encodeCursor(c store.Cursor) string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte("c" + strconv.FormatUint(c.TxID, 10) + "." + strconv.FormatInt(c.Seq, 10)))
}

func decodeCursor(cursor string) (store.Cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(raw) < 2 || raw[0] != 'c' {
		return store.Cursor{}, false
	}
	txid, seq, ok := strings.Cut(string(raw[1:]), ".")
	if !ok {
		return store.Cursor{}, false
	}
	c := store.Cursor{}
	if c.TxID, err = strconv.ParseUint(txid, 10, 64); err != nil {
		return store.Cursor{}, false
	}
	if c.Seq, err = strconv.ParseInt(seq, 10, 64); err != nil || c.Seq < 0 {
		return store.Cursor{}, false
	}
	return c, true
}

// packageByID finds the route's package, or answers 404.
func (s *Server) packageByID(w http.ResponseWriter, r *http.Request) *store.Package {
	id, err := uuid.Parse(mux.Vars(r)["id"])
	if err != nil {
		writeOperatorError(w, http.StatusNotFound, "not_found", "no package has this id")
		return nil
	}
	p, err := s.opts.Store.ByID(r.Context(), id.String())
	if store.IsNotFound(err) {
		writeOperatorError(w, http.StatusNotFound, "not_found", "no package has this id")
		return nil
	}
	if err != nil {
		s.opts.Logger.Error("find package", "error", err)
		writeOperatorError(w, http.StatusInternalServerError, "internal", "could not read the package")
		return nil
	}
	return p
}

// content streams any package's bytes to the operator.
func (s *Server) content(w http.ResponseWriter, r *http.Request) {
	p := s.packageByID(w, r)
	if p == nil {
		return
	}
	s.serveContent(w, r, p, func(f *failure) { writeOperatorError(w, f.status, f.code, f.message) })
}

// ack marks an upload as forwarded; acking again changes nothing.
func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	p := s.packageByID(w, r)
	if p == nil {
		return
	}
	if p.Kind != store.KindUpload {
		writeOperatorError(w, http.StatusConflict, "not_an_upload", "only a subscriber's upload is acknowledged")
		return
	}
	acked, err := s.opts.Store.Ack(r.Context(), p.ID, s.opts.Now().UTC())
	if err != nil {
		s.opts.Logger.Error("ack package", "error", err)
		writeOperatorError(w, http.StatusInternalServerError, "internal", "could not acknowledge the package")
		return
	}
	writeJSON(w, http.StatusOK, s.outboxItem(acked))
}

// reload re-reads the configuration and applies its directions.
func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	report, err := s.opts.Reload(r.Context())
	if err != nil {
		writeOperatorError(w, http.StatusUnprocessableEntity, "invalid_config", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, report)
}
