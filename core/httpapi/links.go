package httpapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/core/store"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// linkPath is the request path as a link lookup key, or "" for a path
// that cannot be a link.
func linkPath(r *http.Request) string {
	p := enforce.LinkPath(r.URL.Path)
	if !utf8.ValidString(p) || strings.ContainsRune(p, 0) {
		return ""
	}
	return p
}

// findLink resolves a link to its package and its enabled direction; on
// failure it has answered. cached tells that the package came from the
// link cache rather than the database.
func (s *Server) findLink(w http.ResponseWriter, r *http.Request, path string) (p *store.Package, m *Mounted, cached bool) {
	p, cached, err := s.opts.Links.ByLink(r.Context(), path)
	if store.IsNotFound(err) {
		notFound(w, r)
		return nil, nil, false
	}
	if err != nil {
		s.opts.Logger.Error("resolve link", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return nil, nil, false
	}
	m = s.direction(p.Direction)
	if m == nil {
		// The direction was disabled: no one serves its links now.
		notFound(w, r)
		return nil, nil, false
	}
	return p, m, cached
}

// download is GET /{link}: the universal link resolver. It answers from
// the database and the disk alone; no plugin is involved.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	path := linkPath(r)
	if path == "" {
		notFound(w, r)
		return
	}
	p, m, cached := s.findLink(w, r, path)
	if p == nil {
		return
	}
	obj, f := s.openContent(r.Context(), p, !cached)
	if f != nil && f.status == http.StatusGone && cached && !p.PurgedAt.Valid {
		// The bytes of a package the cache remembers are gone: it has been
		// purged since, by this host or another. The database tells.
		if err := s.opts.Links.Forget(path); err != nil {
			// The record left behind sends the next download here again.
			s.opts.Logger.Warn("forget a purged package's link", "error", err)
		}
		if p, m, cached = s.findLink(w, r, path); p == nil {
			return
		}
		obj, f = s.openContent(r.Context(), p, true)
	}
	s.serveOpened(w, r, p, obj, f, func(f *failure) { writeDirectionFailure(w, m, f) })
	if !cached && f == nil {
		// Written once the client has its bytes: the next download of
		// the link, on any host, needs no database.
		if err := s.opts.Links.Record(path, p); err != nil {
			s.opts.Logger.Warn("record a package's link", "id", p.ID, "error", err)
		}
	}
}

// serveContent streams a package's bytes with its name and digest, and
// honours Range and conditional requests.
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request, p *store.Package, fail func(*failure)) {
	obj, f := s.openContent(r.Context(), p, true)
	s.serveOpened(w, r, p, obj, f, fail)
}

// openContent opens a package's bytes, or tells why they cannot be had.
// warnMissing logs bytes missing from a package the database holds
// unpurged; a package from the link cache may have been purged since.
func (s *Server) openContent(ctx context.Context, p *store.Package, warnMissing bool) (blob.Object, *failure) {
	gone := &failure{status: http.StatusGone, code: "purged", message: "the package was deleted and its content is no longer kept"}
	if p.PurgedAt.Valid {
		return nil, gone
	}
	obj, err := s.opts.Blobs.Open(ctx, p.ID)
	if errors.Is(err, blob.ErrNotFound) {
		if warnMissing {
			// The purge removes the bytes, then records it: a download
			// between the two finds the row unpurged and the bytes gone.
			// Bytes go no other way, but a warning makes any other way
			// visible.
			s.opts.Logger.Warn("package bytes missing; answered as purged", "id", p.ID)
		}
		return nil, gone
	}
	if err != nil {
		return nil, s.serverFailure(ctx, "read the package", err)
	}
	return obj, nil
}

// serveOpened answers with what openContent gave: the failure, or the
// bytes with the package's name and digest, closing them after.
func (s *Server) serveOpened(w http.ResponseWriter, r *http.Request, p *store.Package, obj blob.Object, f *failure, fail func(*failure)) {
	if f != nil {
		fail(f)
		return
	}
	defer obj.Close()
	h := w.Header()
	h.Set("Content-Type", contentType(p.Filename))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": p.Filename}))
	h.Set("ETag", `"`+p.SHA256+`"`)
	h.Set("Cache-Control", "private, no-cache")
	defer holdSegments(r)()
	http.ServeContent(w, r, "", p.DateIn.Time, obj)
}

func contentType(filename string) string {
	if strings.HasSuffix(strings.ToLower(filename), ".zip") {
		return "application/zip"
	}
	return "application/octet-stream"
}

// deleteLink is DELETE /{link}: it takes an inbound package off every
// list and records when. Deleting again answers 204 too. A mass mailing
// is shared by every subscriber, so its DELETE answers 204 and changes
// nothing.
func (s *Server) deleteLink(w http.ResponseWriter, r *http.Request) {
	path := linkPath(r)
	if path == "" {
		notFound(w, r)
		return
	}
	_, err := s.opts.Store.MarkDeleted(r.Context(), path, s.routes.Load().names, s.opts.Now().UTC())
	if store.IsNotFound(err) {
		notFound(w, r)
		return
	}
	if err != nil {
		s.opts.Logger.Error("delete link", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
