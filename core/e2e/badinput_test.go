package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The error formats a route answers in.
const (
	fmtFNS      = "fns"      // {"errors": [...], "status": "..."}
	fmtPydantic = "pydantic" // [{"loc", "msg", "type"}], {"detail"} for other 4xx
	fmtOperator = "operator" // {"error": {"code", "message"}}
)

// wantFormat fails unless resp has the status and a body in the format;
// it returns the messages the body carries.
func wantFormat(t *testing.T, resp Response, status int, format string) []string {
	t.Helper()
	if resp.Status != status {
		t.Fatalf("status %d, want %d: %.300s", resp.Status, status, resp.Body)
	}
	var messages []string
	switch format {
	case fmtFNS:
		var e fnsError
		resp.JSON(t, &e)
		if e.Status != http.StatusText(status) || len(e.Errors) == 0 {
			t.Fatalf("body %s: want the FNS envelope with status %q", resp.Body, http.StatusText(status))
		}
		messages = e.Errors
	case fmtPydantic:
		if status == http.StatusBadRequest || status == http.StatusRequestEntityTooLarge {
			var vs []struct {
				Loc  []any   `json:"loc"`
				Msg  *string `json:"msg"`
				Type *string `json:"type"`
			}
			resp.JSON(t, &vs)
			if len(vs) == 0 {
				t.Fatalf("body %s: want a list of violations", resp.Body)
			}
			for _, v := range vs {
				if len(v.Loc) == 0 || v.Msg == nil || v.Type == nil || *v.Msg == "" {
					t.Fatalf("body %s: every violation needs loc, msg and type", resp.Body)
				}
				messages = append(messages, fmt.Sprint(v.Loc[0])+": "+*v.Msg)
			}
		} else if status >= 500 {
			// pydantic's services answer a 5xx in plain text.
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || len(bytes.TrimSpace(resp.Body)) == 0 {
				t.Fatalf("%s body %q: want a plain-text message", ct, resp.Body)
			}
			messages = []string{string(resp.Body)}
		} else {
			var d struct {
				Detail *string `json:"detail"`
			}
			resp.JSON(t, &d)
			if d.Detail == nil || *d.Detail == "" {
				t.Fatalf(`body %s: want {"detail": ...}`, resp.Body)
			}
			messages = []string{*d.Detail}
		}
	case fmtOperator:
		var e opError
		resp.JSON(t, &e)
		if e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("body %s: want the operator error", resp.Body)
		}
		messages = []string{e.Error.Message}
	}
	return messages
}

// uploadRoute is a route that takes a package, with a valid form for it.
type uploadRoute struct {
	name, path string
	format     string
	operator   bool
	// ok is the status of an accepted package.
	ok int
	// fields and fileName make a valid request.
	fields   func() [][2]string
	fileName func() string
}

var uploadRoutes = []uploadRoute{
	{name: "fns upload", path: "/fns/packages", format: fmtFNS, ok: http.StatusOK,
		fields:   func() [][2]string { return nil },
		fileName: func() string { return fnsName(fnsSubscriber(), "9965", "01_01_01") }},
	{name: "pfr upload", path: "/pfr/packages", format: fmtPydantic, ok: http.StatusOK,
		fields: func() [][2]string {
			return [][2]string{field("type", "ao5"), field("guid", uuid.NewString()), field("gate", uuid.NewString())}
		},
		fileName: func() string { return "pfr.zip" }},
	{name: "rosstat upload", path: "/rosstat/packages", format: fmtPydantic, ok: http.StatusOK,
		fields: func() [][2]string {
			return [][2]string{field("type", "ao5"), field("guid", uuid.NewString()), field("gate", uuid.NewString())}
		},
		fileName: func() string { return "rosstat.zip" }},
	{name: "fns delivery", path: "/operator/v1/directions/fns/packages", format: fmtOperator, operator: true, ok: http.StatusCreated,
		fields: func() [][2]string {
			return [][2]string{field("guid", fnsSubscriber()), field("type", "ao5"), field("gate", uuid.NewString())}
		},
		fileName: func() string { return "fns.zip" }},
	{name: "pfr delivery", path: "/operator/v1/directions/pfr/packages", format: fmtOperator, operator: true, ok: http.StatusCreated,
		fields: func() [][2]string {
			return deliverForm("pfr", uuid.NewString(), uuid.NewString(), "ao5", nil).Fields
		},
		fileName: func() string { return "pfr.zip" }},
	{name: "rosstat delivery", path: "/operator/v1/directions/rosstat/packages", format: fmtOperator, operator: true, ok: http.StatusCreated,
		fields: func() [][2]string {
			return deliverForm("rosstat", uuid.NewString(), uuid.NewString(), "ao5", nil).Fields
		},
		fileName: func() string { return "rosstat.zip" }},
	{name: "fns mailing", path: "/operator/v1/directions/fns/massreports", format: fmtOperator, operator: true, ok: http.StatusCreated,
		fields:   func() [][2]string { return [][2]string{field("code", "7710")} },
		fileName: func() string { return "m.zip" }},
	{name: "rosstat mailing", path: "/operator/v1/directions/rosstat/massreports", format: fmtOperator, operator: true, ok: http.StatusCreated,
		fields:   func() [][2]string { return [][2]string{field("code", "77-10")} },
		fileName: func() string { return "m.zip" }},
}

// send posts a raw body to the route, with the token on operator routes.
func (r uploadRoute) send(t *testing.T, h *Host, contentType string, body []byte) Response {
	t.Helper()
	req := h.Request(t, http.MethodPost, r.path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if r.operator {
		req.Header.Set("Authorization", "Bearer "+operatorToken)
	}
	return h.Do(t, req)
}

// valid is a valid form for the route with a file of the size.
func (r uploadRoute) valid(t *testing.T, size int) Form {
	return Form{Fields: r.fields(), FileName: r.fileName(), File: randomBytes(t, size)}
}

// wantNothingStored fails when the host holds any package or any file
// of one.
func wantNothingStored(t *testing.T, h *Host) {
	t.Helper()
	if n := countRows(t, h, `1 = 1`); n != 0 {
		t.Errorf("%d packages stored, want none", n)
	}
	if files := storedFiles(t, h, ""); len(files) != 0 {
		t.Errorf("files stored: %v", files)
	}
}

func TestOversizedPackagesAreRefused(t *testing.T) {
	const limit = 1024
	forEachBackend(t, hostConfig{maxPackageBytes: limit}, func(t *testing.T, h *Host) {
		for _, r := range uploadRoutes {
			t.Run(r.name, func(t *testing.T) {
				for _, size := range []int{limit + 1, 2 * limit, 200 << 10} {
					resp := h.Post(t, r.path, r.valid(t, size), "Authorization", "Bearer "+operatorToken)
					messages := wantFormat(t, resp, http.StatusRequestEntityTooLarge, r.format)
					want := map[string]string{
						fmtFNS:      `"file" is larger than the limit of 1024 bytes`,
						fmtPydantic: "file: value is larger than the limit of 1024 bytes",
					}[r.format]
					if want != "" && !slices.Equal(messages, []string{want}) {
						t.Errorf("%d bytes: messages %q, want [%q]", size, messages, want)
					}
					if r.format == fmtOperator {
						var e opError
						resp.JSON(t, &e)
						if e.Error.Code != "too_large" || !strings.Contains(messages[0], "1024") {
							t.Errorf("%d bytes: code %q, message %q: want too_large naming the limit", size, e.Error.Code, messages[0])
						}
					}
				}
				// Form fields beyond their own 1 MiB are refused too.
				f := r.valid(t, 10)
				f.Fields = append(f.Fields, field("padding", strings.Repeat("x", 1<<20+1)))
				resp := h.Post(t, r.path, f, "Authorization", "Bearer "+operatorToken)
				wantFormat(t, resp, http.StatusRequestEntityTooLarge, r.format)
			})
		}
		wantNothingStored(t, h)

		// Exactly the limit is accepted.
		for _, r := range uploadRoutes {
			resp := h.Post(t, r.path, r.valid(t, limit), "Authorization", "Bearer "+operatorToken)
			if resp.Status != r.ok {
				t.Errorf("%s of exactly %d bytes: %d %s", r.name, limit, resp.Status, resp.Body)
			}
		}
		if n := countRows(t, h, `size = ?`, limit); n != len(uploadRoutes) {
			t.Errorf("%d packages of the limit's size stored, want %d", n, len(uploadRoutes))
		}
		wantNoTemporaryFiles(t, h)
	})
}

// The host's own limit on the whole body, beyond the file's and the
// fields', answers 413 as well.
func TestHugeBodyIsRefused(t *testing.T) {
	forEachBackend(t, hostConfig{maxPackageBytes: 1024}, func(t *testing.T, h *Host) {
		for _, r := range uploadRoutes {
			t.Run(r.name, func(t *testing.T) {
				// A huge part that is not the file: neither the file cap
				// nor the field cap counts it, only the body's.
				f := r.valid(t, 10)
				body, contentType := f.Encode(t)
				boundary := contentType[strings.Index(contentType, "boundary=")+len("boundary="):]
				extra := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"other\"; filename=\"other.bin\"\r\n\r\n" +
					strings.Repeat("z", 2<<20) + "\r\n"
				body = append([]byte(extra), body...)
				resp := r.send(t, h, contentType, body)
				wantFormat(t, resp, http.StatusRequestEntityTooLarge, r.format)
			})
		}
		wantNothingStored(t, h)
	})
}

// queryRoutes are the subscriber routes that read a query string, with
// their parameters.
var queryRoutes = []struct {
	path, format string
	params       []string
}{
	{"/fns/packages", fmtFNS, []string{"type", "guid", "gate"}},
	{"/fns/massreport", fmtFNS, []string{"code", "date_start", "date_end"}},
	{"/pfr/packages", fmtPydantic, []string{"type", "guid", "gate"}},
	{"/rosstat/packages", fmtPydantic, []string{"type", "guid", "gate"}},
	{"/rosstat/massreport", fmtPydantic, []string{"code", "date_start", "date_end"}},
}

func TestGarbageQueriesAreRefused(t *testing.T) {
	// Each value is sent as the whole of one parameter; {p} is its name.
	garbage := []string{
		"{p}=%zz", "{p}=%", "{p}=%f", "{p}=%ff", "{p}=%fe%ff", "{p}=%00", "{p}=a%00b", "{p}=%0a", "{p}=%0d%0a", "{p}=%1b",
		"{p}=%e2%82", "{p}=%c0%af", "{p}=%ed%a0%80", "{p}=%7f", "%zz={p}", "{p}=ok;x=y", "{p}=%zz&{p}=ok",
	}
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		for _, r := range queryRoutes {
			for _, p := range r.params {
				for _, g := range garbage {
					query := strings.ReplaceAll(g, "{p}", p)
					t.Run(r.path+"?"+query, func(t *testing.T) {
						wantFormat(t, h.Get(t, r.path+"?"+query), http.StatusBadRequest, r.format)
					})
				}
			}
			// Raw bytes a client should have encoded.
			for _, raw := range []string{"type=\xff", "code=\xc3", "date_end=\xe2\x82"} {
				t.Run(r.path+fmt.Sprintf("?%q", raw), func(t *testing.T) {
					resp := h.Get(t, r.path+"?"+raw)
					if resp.Status < 400 && raw[:strings.Index(raw, "=")] != r.params[0] {
						return // a parameter the route does not read
					}
					wantFormat(t, resp, http.StatusBadRequest, r.format)
				})
			}
		}
		for _, q := range []string{"%zz", "limit=%ff", "after=%00", "limit=1%0a"} {
			t.Run("outbox?"+q, func(t *testing.T) {
				wantFormat(t, h.Operator(t, http.MethodGet, "/operator/v1/directions/pfr/outbox?"+q, nil), http.StatusBadRequest, fmtOperator)
			})
		}
		// What the messages say for the PFR list: the parameter and why.
		wantPyErrors(t, h.Get(t, "/pfr/packages?type=%zz"), http.StatusBadRequest,
			[]map[string]any{pyErr("query", "is not a valid URL query string", "value_error")})
		wantPyErrors(t, h.Get(t, "/pfr/packages?type=ao5&guid=%ff"), http.StatusBadRequest,
			[]map[string]any{pyErr("guid", "is not plain text", "value_error")})
	})
}

func TestBrokenMultipartIsRefused(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		for _, r := range uploadRoutes {
			good, contentType := r.valid(t, 100).Encode(t)
			boundary := contentType[strings.Index(contentType, "boundary=")+len("boundary="):]
			twice := Form{Fields: r.fields(), FileName: r.fileName(), File: []byte("one")}
			twiceBody, twiceType := twice.Encode(t)
			twiceBoundary := twiceType[strings.Index(twiceType, "boundary=")+len("boundary="):]
			second := fmt.Sprintf("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"two.zip\"\r\n\r\ntwo\r\n--%s--\r\n", twiceBoundary, twiceBoundary)
			twiceBody = append(bytes.TrimSuffix(twiceBody, []byte("--"+twiceBoundary+"--\r\n")), second...)
			cases := []struct {
				name, contentType string
				body              []byte
			}{
				{"no boundary", "multipart/form-data", good},
				{"empty boundary", "multipart/form-data; boundary=", good},
				{"another boundary", "multipart/form-data; boundary=not-the-one", good},
				{"unparsable content type", "multipart/form-data; boundary", good},
				{"json", "application/json", []byte(`{"type": "ao5"}`)},
				{"url-encoded form", "application/x-www-form-urlencoded", []byte("type=ao5&guid=" + uuid.NewString())},
				{"text", "text/plain", good},
				{"no content type", "", good},
				{"mixed, not form-data", "multipart/mixed; boundary=" + boundary, []byte("garbage")},
				{"truncated in the file", contentType, good[:len(good)-60]},
				{"truncated in the headers", contentType, good[:bytes.Index(good, []byte("Content-Disposition"))+10]},
				{"no closing boundary", contentType, bytes.TrimSuffix(good, []byte("--"+boundary+"--\r\n"))},
				{"empty body", contentType, nil},
				{"only the closing boundary", contentType, []byte("--" + boundary + "--\r\n")},
				{"garbage", contentType, []byte("\x00\x01\x02 not multipart at all")},
				{"a part without headers' end", contentType, []byte("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.zip\"")},
				{"the file twice", twiceType, twiceBody},
			}
			for _, c := range cases {
				t.Run(r.name+"/"+c.name, func(t *testing.T) {
					resp := r.send(t, h, c.contentType, c.body)
					wantFormat(t, resp, http.StatusBadRequest, r.format)
				})
			}
		}
		wantNothingStored(t, h)
	})
}

// A client that goes away in the middle of its file leaves nothing.
func TestUploadCutShortLeavesNothing(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		for _, r := range uploadRoutes {
			t.Run(r.name, func(t *testing.T) {
				body, contentType := r.valid(t, 64<<10).Encode(t)
				conn, err := net.Dial("tcp", strings.TrimPrefix(h.URL, "http://"))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\nAuthorization: Bearer %s\r\n\r\n",
					r.path, contentType, len(body), operatorToken)
				conn.Write(body[:len(body)/2])
				conn.(*net.TCPConn).CloseWrite()
				conn.SetReadDeadline(time.Now().Add(10 * time.Second))
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusBadRequest {
						t.Errorf("status %d, want 400 or no answer", resp.StatusCode)
					}
				}
			})
		}
		wantNothingStored(t, h)
	})
}

func TestFileNamesAreNotPaths(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		names := []string{
			"../../x.zip", "../x.zip", "..", ".", "a/b.zip", "/etc/passwd", `..\..\x.zip`, `a\b.zip`, `C:\temp\x.zip`,
			"x.zip/", "./x.zip", "x\x01.zip", "x\x7f.zip", "x\t.zip", "x\xff.zip", strings.Repeat("a", 252) + ".zip",
		}
		// A control character breaks the part's header before the name
		// is read: the body is refused as malformed instead.
		malformed := map[string]bool{"x\x01.zip": true, "x\x7f.zip": true}
		for _, r := range uploadRoutes {
			for _, name := range names {
				t.Run(r.name+"/"+fmt.Sprintf("%q", name), func(t *testing.T) {
					// The part header is written by hand: the name goes out
					// byte for byte, as a careless client would send it.
					var fields string
					for _, kv := range r.fields() {
						fields += fmt.Sprintf("--b0undary\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", kv[0], kv[1])
					}
					body := fields + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name +
						"\"\r\nContent-Type: application/zip\r\n\r\nbytes\r\n--b0undary--\r\n"
					resp := r.send(t, h, "multipart/form-data; boundary=b0undary", []byte(body))
					messages := wantFormat(t, resp, http.StatusBadRequest, r.format)
					want := map[string]string{
						fmtFNS:      `"file" must have a plain file name`,
						fmtPydantic: "file: file name must be a plain file name",
						fmtOperator: "file: file name must be a plain file name",
					}[r.format]
					if r.name == "fns delivery" || r.name == "fns mailing" {
						want = `file: "file" must have a plain file name`
					}
					if malformed[name] {
						want = map[string]string{
							fmtFNS:      `"file" could not be read: the multipart body is broken or cut short`,
							fmtPydantic: "file: could not be read: the multipart body is broken or cut short",
							fmtOperator: "file: could not be read: the multipart body is broken or cut short",
						}[r.format]
						if r.name == "fns delivery" || r.name == "fns mailing" {
							want = `file: "file" could not be read: the multipart body is broken or cut short`
						}
					}
					if !slices.Equal(messages, []string{want}) {
						t.Errorf("messages %q, want [%q]", messages, want)
					}
				})
			}
			// RFC 2231 encoding does not smuggle a path in either.
			t.Run(r.name+"/encoded", func(t *testing.T) {
				var fields string
				for _, kv := range r.fields() {
					fields += fmt.Sprintf("--b0undary\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", kv[0], kv[1])
				}
				body := fields + "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename*=UTF-8''..%2F..%2Fx.zip\r\n\r\nbytes\r\n--b0undary--\r\n"
				wantFormat(t, r.send(t, h, "multipart/form-data; boundary=b0undary", []byte(body)), http.StatusBadRequest, r.format)
			})
		}
		wantNothingStored(t, h)
		// Nothing named by a client was written anywhere near the host.
		filepath.WalkDir(filepath.Dir(h.Dir), func(path string, d fs.DirEntry, err error) error {
			if err == nil && (d.Name() == "x.zip" || d.Name() == "b.zip" || strings.HasSuffix(d.Name(), `\x.zip`)) {
				t.Errorf("a client's file name became a file: %s", path)
			}
			return nil
		})
	})
}

func TestTraversalLinksAreNotFound(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		// Files that would be worth stealing, beside real packages.
		os.WriteFile(filepath.Join(h.Dir, "secret.txt"), []byte("secret"), 0o600)
		pfr := h.Deliver(t, "pfr", deliverForm("pfr", uuid.NewString(), uuid.NewString(), "ao5", []byte("pfr package")))
		fns := h.Deliver(t, "fns", deliverForm("fns", fnsSubscriber(), "gw", "ao5", []byte("fns package")))
		pfrDir := pfr.Link[:strings.LastIndex(pfr.Link, "/")]
		paths := []string{
			"/files/../../etc/passwd", "/files/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
			"/..%2f..%2f..%2fetc%2fpasswd", "/../../../../etc/passwd", "/files/gpr/..%5c..%5cetc%5cpasswd",
			"/pfr/../../etc/passwd", "//etc/passwd", "/etc/passwd", "/..", "/.", "/%2e", "/%00", "/files/%ff", "/%c0%ae%c0%ae/etc/passwd",
			"/../secret.txt", "/%2e%2e/secret.txt", "/../../reportgate.yaml", "/../reportgate.yaml", "/tmp", "/packages/",
			pfr.Link + "/../../../etc/passwd", pfrDir + "/../" + pfr.Link[strings.LastIndex(pfrDir, "/")+1:],
			pfrDir + "/./" + pfr.Filename, pfrDir + "//" + pfr.Filename, pfr.Link + "/", pfr.Link + "%00", pfr.Link + "/..",
			"/" + fns.Link + "/..", "/files/gw/../gw/" + strings.TrimPrefix(fns.Link, "files/gw/"),
			"/" + strings.Repeat("a/", 5000), "/" + strings.Repeat("%2e%2e/", 2000) + "etc/passwd", "/" + strings.Repeat("x", 100<<10),
		}
		for _, p := range paths {
			name := p
			if len(name) > 80 {
				name = name[:80] + "…"
			}
			for _, method := range []string{http.MethodGet, http.MethodDelete, http.MethodHead} {
				t.Run(method+" "+name, func(t *testing.T) {
					resp := h.Do(t, h.Request(t, method, p, nil))
					if method == http.MethodHead {
						if resp.Status != http.StatusNotFound {
							t.Fatalf("status %d, want 404", resp.Status)
						}
						return
					}
					wantNotFoundDetail(t, resp)
				})
			}
		}
		// The real packages are untouched by the DELETEs above.
		for _, d := range []Delivered{pfr, fns} {
			if got := h.Get(t, "/"+strings.TrimPrefix(d.Link, "/")); got.Status != http.StatusOK {
				t.Errorf("GET %s: %d", d.Link, got.Status)
			}
		}
		if got := listed(t, h, "/pfr/packages?type=ao5"); !slices.Equal(got, []string{pfr.Link}) {
			t.Errorf("the PFR list is %v, want [%s]", got, pfr.Link)
		}
		// A path too long for a request line is still a client's error.
		resp := h.Get(t, "/"+strings.Repeat("y", 2<<20))
		if resp.Status < 400 || resp.Status >= 500 {
			t.Errorf("a 2 MiB path: status %d, want 4xx", resp.Status)
		}
	})
}

func TestOperatorIDsMustBePackageIDs(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		id := pfrUpload(t, h, "pfr", uuid.NewString(), uuid.NewString(), []byte("up"))
		ids := []string{
			"not-a-uuid", "..", "%2e%2e", "..%2f..%2fetc%2fpasswd", "%00", "%ff", "%20", "1", id + "0", id[:35], "x" + id[1:],
			strings.ReplaceAll(id, "-", "_"), "'%20OR%201=1--", id + "%00", strings.Repeat("a", 10000), uuid.NewString(),
			"00000000-0000-0000-0000-000000000000",
		}
		for _, bad := range ids {
			name := bad
			if len(name) > 60 {
				name = name[:60] + "…"
			}
			for _, route := range []struct{ method, suffix string }{{http.MethodGet, "/content"}, {http.MethodPost, "/ack"}} {
				t.Run(route.method+" "+name+route.suffix, func(t *testing.T) {
					resp := h.Operator(t, route.method, "/operator/v1/packages/"+bad+route.suffix, nil)
					wantOpError(t, resp, http.StatusNotFound, "not_found")
				})
			}
		}
		for _, bad := range []string{"../../etc/passwd", "a/b", id + "/x"} {
			resp := h.Operator(t, http.MethodGet, "/operator/v1/packages/"+bad+"/content", nil)
			wantOpError(t, resp, http.StatusNotFound, "not_found")
		}
		if it, ok := outboxItem(t, h, "pfr", id); !ok || it.AckedAt != nil {
			t.Errorf("the upload %s was acknowledged or lost: %+v", id, it)
		}
	})
}

func TestWrongMethodsAreRefused(t *testing.T) {
	forEachBackend(t, hostConfig{}, func(t *testing.T, h *Host) {
		cases := []struct {
			path, format, allow string
			methods             []string
		}{
			{"/fns/packages", fmtFNS, "GET, POST", []string{http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}},
			{"/pfr/packages", fmtPydantic, "GET, POST", []string{http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}},
			{"/rosstat/packages", fmtPydantic, "GET, POST", []string{http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}},
			{"/fns/massreport", fmtFNS, "GET", []string{http.MethodPost, http.MethodPut, http.MethodDelete}},
			{"/rosstat/massreport", fmtPydantic, "GET", []string{http.MethodPost, http.MethodPut, http.MethodDelete}},
		}
		for _, c := range cases {
			for _, method := range c.methods {
				t.Run(method+" "+c.path, func(t *testing.T) {
					resp := h.Do(t, h.Request(t, method, c.path+"?type=ao5", strings.NewReader("x")))
					messages := wantFormat(t, resp, http.StatusMethodNotAllowed, c.format)
					if want := "Method Not Allowed"; !slices.Equal(messages, []string{want}) {
						t.Errorf("messages %q, want [%q]", messages, want)
					}
					if allow := resp.Header.Get("Allow"); allow != c.allow {
						t.Errorf("Allow %q, want %q", allow, c.allow)
					}
				})
			}
		}
		for _, c := range []struct{ method, path, allow string }{
			{http.MethodGet, "/operator/v1/directions/pfr/packages", "POST"},
			{http.MethodPut, "/operator/v1/directions/fns/massreports", "POST"},
			{http.MethodPost, "/operator/v1/directions/pfr/outbox", "GET"},
			{http.MethodDelete, "/operator/v1/packages/" + uuid.NewString() + "/ack", "POST"},
			{http.MethodGet, "/operator/v1/packages/" + uuid.NewString() + "/ack", "POST"},
			{http.MethodPost, "/operator/v1/packages/" + uuid.NewString() + "/content", "GET, HEAD"},
		} {
			t.Run(c.method+" "+c.path, func(t *testing.T) {
				resp := h.Operator(t, c.method, c.path, nil)
				wantOpError(t, resp, http.StatusMethodNotAllowed, "method_not_allowed")
				if allow := resp.Header.Get("Allow"); allow != c.allow {
					t.Errorf("Allow %q, want %q", allow, c.allow)
				}
				// Without the token, the route's methods stay unknown.
				wantOpError(t, h.Do(t, h.Request(t, c.method, c.path, nil)), http.StatusUnauthorized, "unauthorized")
			})
		}
		// PFR has no massreport: its path is nobody's route and no link.
		wantNotFoundDetail(t, h.Get(t, "/pfr/massreport"))
		wantNothingStored(t, h)
	})
}
