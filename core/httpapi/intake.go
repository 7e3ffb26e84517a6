package httpapi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/reportgate/reportgate/core/blob"
	"github.com/reportgate/reportgate/sdk"
)

// maxFieldBytes caps the form fields beside the file, all together.
const maxFieldBytes = 1 << 20

// bodySlack covers the multipart framing: boundaries and part headers.
const bodySlack = 64 << 10

// intakeBuffer is how much of an upload's body is read from the
// connection, and written to its file, at a time. Request.MultipartReader
// reads through a 4 KiB buffer, so a 1 MiB file took some 256 reads from
// the connection and as many writes to disk: at concurrency, those system
// calls were a large part of an upload's CPU.
const intakeBuffer = 64 << 10

// errBlobWrite marks an error of the upload's file, not of its body: the
// host's own failure (a full disk, say), never the client's.
var errBlobWrite = errors.New("write the upload's file")

// failure is a refused request, before it is rendered in a direction's or
// the operator's format.
type failure struct {
	status     int
	violations []sdk.Violation
	// message is set for a failure that is not about a parameter.
	message string
	// code is the operator API's error code.
	code string
	// retryAfter is, for a 503, how long until the plugin is expected back.
	retryAfter time.Duration
}

func invalid(vs ...sdk.Violation) *failure {
	f := &failure{status: http.StatusBadRequest, violations: vs, code: "invalid_request"}
	for _, v := range vs {
		if v.Kind == sdk.ViolationTooLarge {
			f.status, f.code = http.StatusRequestEntityTooLarge, "too_large"
		}
	}
	return f
}

func malformed(param, detail string) *failure {
	return invalid(sdk.Violation{Param: param, Kind: sdk.ViolationMalformed, Args: map[string]string{"detail": detail}})
}

// querySource is a request's query string. Only the first value of a
// repeated parameter counts.
type querySource struct {
	query  url.Values
	header http.Header
}

// readQuery parses the query strictly: a query that does not parse is
// refused rather than read in part.
func readQuery(r *http.Request) (querySource, *failure) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return querySource{}, malformed("query", "is not a valid URL query string")
	}
	return querySource{query: q, header: r.Header}, nil
}

func (q querySource) Lookup(in sdk.Location, name string) (string, bool) {
	var v string
	switch in {
	case sdk.InQuery:
		v = q.query.Get(name)
	case sdk.InHeader:
		v = q.header.Get(name)
	}
	return v, v != ""
}

// intake is an upload's multipart body, read: the form fields, and the
// file, streamed into a pending blob as it arrived.
type intake struct {
	header    http.Header
	fileParam string
	fields    map[string]string
	filename  string
	file      blob.Pending
}

func (in *intake) Lookup(loc sdk.Location, name string) (string, bool) {
	var v string
	switch {
	case loc == sdk.InForm && name == in.fileParam:
		if in.file != nil {
			v = in.filename
		}
	case loc == sdk.InForm:
		v = in.fields[name]
	case loc == sdk.InHeader:
		v = in.header.Get(name)
	}
	return v, v != ""
}

// discard drops the pending file, if any.
func (in *intake) discard() {
	if in.file != nil {
		in.file.Abort()
	}
}

// readIntake streams a multipart body: the file part into a pending blob,
// hashing it on the way, and the other fields into memory, within their
// caps. Nothing is buffered whole. On failure the pending blob is gone.
func (s *Server) readIntake(w http.ResponseWriter, r *http.Request, fileParam string) (_ *intake, f *failure) {
	// in is not the named result: every failure returns a nil intake, and
	// the deferred discard must still see the pending file.
	in := &intake{header: r.Header, fileParam: fileParam, fields: map[string]string{}}
	defer func() {
		if f != nil {
			in.discard()
		}
	}()
	limit := s.opts.MaxPackageBytes
	r.Body = http.MaxBytesReader(w, r.Body, limit+maxFieldBytes+bodySlack)
	boundary, ok := multipartBoundary(r.Header.Get("Content-Type"))
	if !ok {
		return nil, malformed(fileParam, "must be sent as multipart/form-data")
	}
	// The connection is read intakeBuffer at a time. The multipart reader
	// still hands a part out 4 KiB at a time at most: it wraps what it is
	// given in a bufio.Reader of its own, of that size (writeFile).
	body := s.intakeReaders.Get().(*bufio.Reader)
	body.Reset(r.Body)
	defer func() {
		body.Reset(nil)
		s.intakeReaders.Put(body)
	}()
	mr := multipart.NewReader(body, boundary)
	fieldBudget := int64(maxFieldBytes)
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return in, nil
		}
		if err != nil {
			return nil, s.bodyFailure(fileParam, err)
		}
		name := part.FormName()
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		// The raw name: multipart's FileName would quietly cut a path to
		// its last element, and a path is refused instead.
		filename, isFile := params["filename"]
		switch {
		case isFile && name == fileParam:
			if in.file != nil {
				return nil, malformed(fileParam, "must be sent once")
			}
			if in.file, err = s.opts.Blobs.Create(r.Context()); err != nil {
				return nil, s.serverFailure(r.Context(), "store the upload", err)
			}
			in.filename = filename
			n, err := s.writeFile(in.file, io.LimitReader(part, limit+1))
			if errors.Is(err, errBlobWrite) {
				return nil, s.serverFailure(r.Context(), "store the upload", err)
			}
			if err != nil {
				return nil, s.bodyFailure(fileParam, err)
			}
			if n > limit {
				return nil, tooLarge(fileParam, limit)
			}
		case isFile:
			// Another file part: read past it, within the body's cap.
			if _, err := io.Copy(io.Discard, part); err != nil {
				return nil, s.bodyFailure(fileParam, err)
			}
		default:
			value, err := io.ReadAll(io.LimitReader(part, fieldBudget+1))
			if err != nil {
				return nil, s.bodyFailure(fileParam, err)
			}
			fieldBudget -= int64(len(value))
			if fieldBudget < 0 {
				return nil, tooLarge(name, maxFieldBytes)
			}
			if _, seen := in.fields[name]; !seen {
				in.fields[name] = string(value)
			}
		}
	}
}

// writeFile copies a file part into its pending blob in writes of
// intakeBuffer, all but the last. The part comes 4 KiB at a time, and a
// file written as it came took 256 writes a MiB, most of them not
// aligned to a page: on Linux 6.18's ext4 the kernel's zeroing of the
// page cache for those writes was half of the host's CPU under 1 MiB
// uploads. Errors of the blob are marked errBlobWrite; the others are the
// body's.
func (s *Server) writeFile(file blob.Pending, part io.Reader) (int64, error) {
	w := s.fileWriters.Get().(*bufio.Writer)
	w.Reset(blobWriter{file})
	defer func() {
		w.Reset(nil)
		s.fileWriters.Put(w)
	}()
	// bufio.Writer's ReadFrom fills the whole buffer before each write.
	n, err := w.ReadFrom(part)
	if err != nil {
		return n, err
	}
	return n, w.Flush()
}

// blobWriter marks a pending blob's write errors with errBlobWrite.
type blobWriter struct{ file blob.Pending }

func (b blobWriter) Write(p []byte) (int, error) {
	n, err := b.file.Write(p)
	if err != nil {
		return n, fmt.Errorf("%w: %w", errBlobWrite, err)
	}
	return n, nil
}

// multipartBoundary returns the boundary of a multipart body's
// Content-Type, as Request.MultipartReader accepts it: multipart/form-data,
// or multipart/mixed, with a boundary.
func multipartBoundary(contentType string) (string, bool) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || (mediaType != "multipart/form-data" && mediaType != "multipart/mixed") {
		return "", false
	}
	boundary := params["boundary"]
	return boundary, boundary != ""
}

func tooLarge(param string, limit int64) *failure {
	return invalid(sdk.Violation{Param: param, Kind: sdk.ViolationTooLarge, Args: map[string]string{"limit": strconv.FormatInt(limit, 10)}})
}

// bodyFailure classifies an error while reading the body: over the cap
// is 413; anything else is a body that does not parse (or a client that
// went away, which gets no answer anyway).
func (s *Server) bodyFailure(param string, err error) *failure {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge(param, s.opts.MaxPackageBytes)
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return malformed(param, "has too many or too large multipart headers")
	}
	return malformed(param, "could not be read: the multipart body is broken or cut short")
}

// serverFailure logs an error of the host's own and returns a 500 that
// tells the client nothing of it. When the request's ctx has ended, its
// client went away (or gave up waiting), and what failed failed for that:
// it is logged as information, not as an error an operator would be
// alerted to, and the answer reaches no one.
func (s *Server) serverFailure(ctx context.Context, what string, err error) *failure {
	if ctx.Err() != nil {
		s.opts.Logger.Info("request abandoned by its client", "while", what, "error", err)
	} else {
		s.opts.Logger.Error("request failed", "while", what, "error", err)
	}
	return &failure{status: http.StatusInternalServerError, message: fmt.Sprintf("could not %s", what), code: "internal"}
}
