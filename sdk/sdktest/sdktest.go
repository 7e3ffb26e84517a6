// Package sdktest runs a direction plugin through real gRPC, without the
// host and without a process, so that its author can test it as the host
// will use it: load the manifest, check sample requests, render error
// bodies, call the upload hook and build links.
//
//	func TestListNeedsGUIDForAO4(t *testing.T) {
//		h := sdktest.New(t, &sdk.Plugin{Declaration: manifest(), Hook: prepare})
//		res := h.Check(sdk.OpList, sdktest.Request{Query: map[string]string{"type": "ao4"}})
//		if len(res.Violations) != 1 || res.Violations[0].Param != "guid" {
//			t.Fatalf("violations %+v", res.Violations)
//		}
//	}
//
// The checks are the host's own (package enforce), and the plugin is
// reached over go-plugin's gRPC transport, so what passes here passes in
// the host.
package sdktest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// callTimeout bounds each call to the plugin, as the host's default does.
const callTimeout = 10 * time.Second

// Harness is a plugin as the host sees it.
type Harness struct {
	t        testing.TB
	plugin   sdk.Direction
	manifest sdk.Manifest
	compiled *enforce.Direction
	// Location is the time zone dates are read and rendered in; the
	// host's default, Europe/Moscow, unless a test changes it.
	Location *time.Location
}

// New serves d over an in-memory gRPC connection, reads its manifest
// through it, and compiles the manifest as the host does at load. It fails
// the test with the host's message when the host would refuse it.
func New(t testing.TB, d sdk.Direction) *Harness {
	t.Helper()
	client, server := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{
		sdk.PluginKey: &sdk.GRPCPlugin{Impl: d},
	})
	t.Cleanup(func() {
		client.Close()
		server.Stop()
	})
	raw, err := client.Dispense(sdk.PluginKey)
	if err != nil {
		t.Fatalf("dispense the plugin: %v", err)
	}
	remote, ok := raw.(sdk.Direction)
	if !ok {
		t.Fatalf("dispensed %T, not a direction", raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	m, err := remote.Manifest(ctx)
	if err != nil {
		t.Fatalf("read the manifest over gRPC: %v", err)
	}
	compiled, err := enforce.Compile(m)
	if err != nil {
		t.Fatalf("the host would refuse this manifest: %v", err)
	}
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		loc = time.UTC
	}
	return &Harness{t: t, plugin: remote, manifest: m, compiled: compiled, Location: loc}
}

// Manifest is the manifest as it crossed the wire.
func (h *Harness) Manifest() sdk.Manifest { return h.manifest }

// Compiled is the manifest as the host enforces it.
func (h *Harness) Compiled() *enforce.Direction { return h.compiled }

// Request is a sample request: what a client would send.
type Request struct {
	// Query holds query parameters, for a list or a massreport.
	Query map[string]string
	// Form holds form fields, for an upload, a delivery or a publication.
	Form map[string]string
	// Header holds request headers.
	Header map[string]string
	// Filename is the name of the file part; empty sends no file.
	Filename string
	// Size is the file's length, as the hook is told it.
	Size int64
	// SHA256 is the file's digest, as the hook is told it.
	SHA256 string
}

// source reads a sample request the way the host reads a real one: the
// file parameter's value is the file's name.
type source struct {
	req       Request
	fileParam string
}

func (s source) Lookup(in sdk.Location, name string) (string, bool) {
	var v string
	switch {
	case in == sdk.InForm && name == s.fileParam:
		v = s.req.Filename
	case in == sdk.InForm:
		v = s.req.Form[name]
	case in == sdk.InQuery:
		v = s.req.Query[name]
	case in == sdk.InHeader:
		for k, value := range s.req.Header {
			if http.CanonicalHeaderKey(k) == http.CanonicalHeaderKey(name) {
				v = value
			}
		}
	}
	return v, v != ""
}

// Result is the host's verdict on a sample request.
type Result struct {
	// Violations refuse the request, in the order the host reports them;
	// empty when it is accepted.
	Violations []sdk.Violation
	// Fields are the package's fields when accepted: the bound parameters
	// and what the hook set.
	Fields map[string]string
	// Bound is the request's parameters as the host bound them.
	Bound enforce.Bound
}

// Check runs a sample request through an operation as the host does: the
// parameter checks and rules, then, for an operation with the hook, the
// hook over gRPC (also when the host already refused something, so that
// both sets of violations are reported together). It fails the test when
// the direction does not declare the operation or the hook call fails.
func (h *Harness) Check(kind sdk.OperationKind, req Request) Result {
	h.t.Helper()
	op := h.compiled.Operation(kind)
	if op == nil {
		h.t.Fatalf("the direction declares no %s operation", kind)
	}
	bound, vs := op.Bind(source{req: req, fileParam: op.FileParam()}, h.Location)
	res := Result{Bound: bound, Fields: map[string]string{}}
	for k, v := range bound.Fields {
		res.Fields[k] = v
	}
	if op.Hook() && bound.Filename != "" {
		out, err := h.PrepareUpload(sdk.UploadRequest{
			Operation: kind, Filename: bound.Filename, Fields: bound.Fields, Size: req.Size, SHA256: req.SHA256,
		})
		if err != nil {
			h.t.Fatalf("the upload hook failed: %v", err)
		}
		if len(vs) > 0 || len(out.Violations) > 0 {
			res.Violations = op.WithHookViolations(vs, out.Violations)
			return res
		}
		for k, v := range out.Fields {
			if !h.compiled.HookSettable(k) {
				h.t.Fatalf("the hook set %q, which is neither a settable field nor a declared attribute", k)
			}
			res.Fields[k] = v
		}
		return res
	}
	res.Violations = vs
	return res
}

// PrepareUpload calls the plugin's hook over gRPC.
func (h *Harness) PrepareUpload(req sdk.UploadRequest) (sdk.UploadResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	return h.plugin.PrepareUpload(ctx, req)
}

// Body is a rendered error answer.
type Body struct {
	// Status is the HTTP status.
	Status int
	// ContentType is the Content-Type header.
	ContentType string
	// Text is the body.
	Text string
}

// ErrorBody renders violations as the host answers them: 400, or 413 for
// a file over the size limit.
func (h *Harness) ErrorBody(status int, vs []sdk.Violation) Body {
	rec := httptest.NewRecorder()
	h.compiled.Errors.WriteInvalid(rec, status, vs)
	return Body{Status: rec.Code, ContentType: rec.Header().Get("Content-Type"), Text: rec.Body.String()}
}

// FailureBody renders an error that is not about a parameter, such as a
// 404, or the 503 the host answers while the plugin restarts.
func (h *Harness) FailureBody(status int, message string) Body {
	rec := httptest.NewRecorder()
	h.compiled.Errors.WriteFailure(rec, status, message)
	return Body{Status: rec.Code, ContentType: rec.Header().Get("Content-Type"), Text: rec.Body.String()}
}

// Link renders the link a delivered (OpDeliver) or published (OpPublish)
// package with these fields would get. fields must hold uid and filename
// as well as what the template names.
func (h *Harness) Link(kind sdk.OperationKind, fields map[string]string) (enforce.Link, error) {
	h.t.Helper()
	op := h.compiled.Operation(kind)
	if op == nil || op.Link == nil {
		h.t.Fatalf("the direction builds no link for %s", kind)
	}
	return op.Link.Render(func(f string) string { return fields[f] })
}
