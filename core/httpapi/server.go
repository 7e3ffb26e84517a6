// Package httpapi is the host's HTTP surface: each direction's routes
// under its prefix, the universal link resolver, the operator API and the
// health checks. Handlers enforce the directions' manifests; only an
// upload whose operation declares the hook calls a plugin.
package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// Plugin is the running process behind a direction.
type Plugin interface {
	// Direction returns the plugin, or an error while it is unavailable.
	Direction() (sdk.Direction, error)
	// RetryAfter is how long until an unavailable plugin is expected back.
	RetryAfter() time.Duration
}

// Mounted is an enabled direction: its compiled manifest, where it is
// mounted, and its plugin.
type Mounted struct {
	Dir    *enforce.Direction
	Prefix string
	Plugin Plugin
}

// Options configure a Server.
type Options struct {
	Store *store.Store
	// Links resolves the download links; nil looks every one up in Store.
	Links *store.LinkCache
	// KeptLists keeps rendered lists of a gate and massreports; nil keeps
	// none.
	KeptLists *KeptLists
	Blobs     blob.Store
	Location  *time.Location
	// MaxPackageBytes caps an uploaded file.
	MaxPackageBytes int64
	// OperatorTokens are the operator API's bearer tokens; none turns the
	// API off.
	OperatorTokens []string
	// CallTimeout bounds a call to a plugin.
	CallTimeout time.Duration
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Ready reports the health of the store and the plugins, for /readyz.
	Ready func(ctx context.Context) (ok bool, detail any)
	// Reload re-reads the configuration and applies its directions, for
	// POST /operator/v1/reload; nil turns the route off.
	Reload func(ctx context.Context) (report any, err error)
}

// Server serves the combined API.
type Server struct {
	opts   Options
	routes atomic.Pointer[routes]
	// writers recycles the lists' write buffers: a fresh 32 KiB buffer per
	// list was most of what the list route allocated, and garbage
	// collection of it showed in the tail latency.
	writers sync.Pool
	// intakeReaders and fileWriters serve an upload's body in large reads
	// and writes (see readIntake and writeFile).
	intakeReaders sync.Pool
	fileWriters   sync.Pool
}

// routes is one consistent view of the enabled directions. It is swapped
// whole, so a request sees either the old set or the new one.
type routes struct {
	router *mux.Router
	byName map[string]*Mounted
	names  []string
}

// New builds a server for the directions.
func New(opts Options, dirs []*Mounted) *Server {
	if opts.Links == nil {
		opts.Links = store.UncachedLinks(opts.Store)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts}
	s.writers.New = func() any { return bufio.NewWriterSize(nil, streamBuffer) }
	s.intakeReaders.New = func() any { return bufio.NewReaderSize(nil, intakeBuffer) }
	s.fileWriters.New = func() any { return bufio.NewWriterSize(nil, intakeBuffer) }
	s.Mount(dirs)
	return s
}

// Mount replaces the set of enabled directions.
func (s *Server) Mount(dirs []*Mounted) {
	rt := &routes{byName: map[string]*Mounted{}}
	for _, m := range dirs {
		rt.byName[m.Dir.Name()] = m
		rt.names = append(rt.names, m.Dir.Name())
	}
	rt.router = s.router(dirs)
	s.routes.Store(rt)
}

// direction returns an enabled direction by name.
func (s *Server) direction(name string) *Mounted {
	return s.routes.Load().byName[name]
}

// ServeHTTP routes the request through the current set of directions.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.routes.Load().router.ServeHTTP(w, r)
}

func (s *Server) router(dirs []*Mounted) *mux.Router {
	r := mux.NewRouter()
	// Links are looked up exactly, leading slashes aside; cleaning would
	// answer //x with a redirect, which turns a DELETE into a GET.
	r.SkipClean(true)
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet, http.MethodHead)
	s.operatorRoutes(r.PathPrefix("/operator/v1").Subrouter())
	r.PathPrefix("/operator/").HandlerFunc(s.operatorNotFound)
	for _, m := range dirs {
		s.directionRoutes(r, m)
	}
	r.PathPrefix("/").Methods(http.MethodGet, http.MethodHead).HandlerFunc(s.download)
	r.PathPrefix("/").Methods(http.MethodDelete).HandlerFunc(s.deleteLink)
	r.NotFoundHandler = http.HandlerFunc(notFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(notFound)
	return r
}

func (s *Server) directionRoutes(r *mux.Router, m *Mounted) {
	byPath := map[string]map[string]http.HandlerFunc{}
	add := func(kind sdk.OperationKind, handler func(*Mounted) http.HandlerFunc) {
		op := m.Dir.Operation(kind)
		if op == nil {
			return
		}
		if byPath[op.Path()] == nil {
			byPath[op.Path()] = map[string]http.HandlerFunc{}
		}
		byPath[op.Path()][op.Method()] = handler(m)
	}
	add(sdk.OpList, s.list)
	add(sdk.OpUpload, s.upload)
	add(sdk.OpMassreport, s.massreport)
	for path, handlers := range byPath {
		allowed := make([]string, 0, len(handlers))
		for method := range handlers {
			allowed = append(allowed, method)
		}
		r.Path(m.Prefix + "/" + path).HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h, ok := handlers[req.Method]
			if !ok && req.Method == http.MethodHead {
				h, ok = handlers[http.MethodGet]
			}
			if !ok {
				w.Header().Set("Allow", joinMethods(allowed))
				m.Dir.Errors.WriteFailure(w, http.StatusMethodNotAllowed, http.StatusText(http.StatusMethodNotAllowed))
				return
			}
			h(w, req)
		})
	}
}

// hostSegments are the first path segments of the host's own routes.
var hostSegments = []string{"operator", "healthz", "readyz"}

// CheckRoutes refuses a set of directions whose routes clash, with each
// other or with the host's own routes.
func CheckRoutes(dirs []*Mounted) error {
	owner := map[string]string{}
	for _, m := range dirs {
		for _, route := range m.Dir.Routes() {
			method, path, _ := strings.Cut(route, " ")
			full := m.Prefix + "/" + path
			first, _, _ := strings.Cut(strings.TrimPrefix(full, "/"), "/")
			if slices.Contains(hostSegments, first) {
				return fmt.Errorf("direction %s: route %s %s clashes with the host's /%s", m.Dir.Name(), method, full, first)
			}
			key := method + " " + full
			if other, taken := owner[key]; taken {
				return fmt.Errorf("direction %s: route %s clashes with direction %s", m.Dir.Name(), key, other)
			}
			owner[key] = m.Dir.Name()
		}
	}
	return nil
}
