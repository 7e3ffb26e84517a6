package enforce_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"testing"

	"github.com/reportgate/reportgate/sdk"
	"github.com/reportgate/reportgate/sdk/enforce"
)

// written is what an error writer put on the wire.
type written struct {
	status      int
	contentType string
	body        string
}

func record(t *testing.T, write func(w http.ResponseWriter)) written {
	t.Helper()
	rec := httptest.NewRecorder()
	write(rec)
	res := rec.Result()
	if got, want := res.Header.Get("Content-Length"), strconv.Itoa(rec.Body.Len()); got != want {
		t.Errorf("Content-Length = %q, the body has %s bytes", got, want)
	}
	return written{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), body: rec.Body.String()}
}

// compact removes the white space between a JSON text's tokens, keeping
// its keys in their order.
func compact(t *testing.T, body string) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(body)); err != nil {
		t.Fatalf("not JSON: %s: %v", body, err)
	}
	return buf.String()
}

// TestEnvelopeInvalidBody renders the violations that Bind finds in FNS
// requests and compares the body byte for byte with the document's.
func TestEnvelopeInvalidBody(t *testing.T) {
	d := mustCompile(t, envelopeManifest())
	cases := []struct {
		name     string
		kind     sdk.OperationKind
		src      request
		messages []string
		body     string
	}{
		{
			name:     "enum",
			kind:     sdk.OpList,
			src:      query("type", "1C"),
			messages: []string{`"type" type must be one of this list: ['1c', 'iotchet', 'platform', 'ao4', 'ao5']`},
			body:     `{"errors": ["\"type\" type must be one of this list: ['1c', 'iotchet', 'platform', 'ao4', 'ao5']"], "status": "Bad Request"}`,
		},
		{
			name:     "regex",
			kind:     sdk.OpMassreport,
			src:      query("code", "abc"),
			messages: []string{`"code" string does not match regex "^\d{4}$"`},
			body:     `{"errors": ["\"code\" string does not match regex \"^\\d{4}$\""], "status": "Bad Request"}`,
		},
		{
			name:     "missing and conditional",
			kind:     sdk.OpList,
			src:      query("type", "ao4"),
			messages: []string{`"guid" is required when "type" is "ao4"`},
			body:     `{"errors": ["\"guid\" is required when \"type\" is \"ao4\""], "status": "Bad Request"}`,
		},
		{
			name: "all at once, in order",
			kind: sdk.OpMassreport,
			src:  query("code", "<99>", "date_start", "2022-03-12T00:00", "date_end", "&"),
			messages: []string{
				`"code" string does not match regex "^\d{4}$"`,
				`"date_start" must match pattern "%Y-%m-%d %H:%M:%S"`,
				`"date_end" must match pattern "%Y-%m-%d %H:%M:%S"`,
			},
			body: `{"errors": ["\"code\" string does not match regex \"^\\d{4}$\"", ` +
				`"\"date_start\" must match pattern \"%Y-%m-%d %H:%M:%S\"", ` +
				`"\"date_end\" must match pattern \"%Y-%m-%d %H:%M:%S\""], "status": "Bad Request"}`,
		},
		{
			name:     "file name",
			kind:     sdk.OpUpload,
			src:      form("file", "../../x.zip"),
			messages: []string{`"file" must have a plain file name`},
			body:     `{"errors": ["\"file\" must have a plain file name"], "status": "Bad Request"}`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, vs := d.Operation(c.kind).Bind(c.src, msk)
			if len(vs) == 0 {
				t.Fatal("Bind found no violation")
			}
			got := record(t, func(w http.ResponseWriter) { d.Errors.WriteInvalid(w, http.StatusBadRequest, vs) })
			if got.status != http.StatusBadRequest || got.contentType != "application/json" {
				t.Errorf("status %d, content type %q", got.status, got.contentType)
			}
			var decoded struct {
				Errors []string `json:"errors"`
				Status string   `json:"status"`
			}
			if err := json.Unmarshal([]byte(got.body), &decoded); err != nil {
				t.Fatalf("body %s: %v", got.body, err)
			}
			if !reflect.DeepEqual(decoded.Errors, c.messages) || decoded.Status != "Bad Request" {
				t.Errorf("decoded %+v, want errors %q and status Bad Request", decoded, c.messages)
			}
			// The exact text, apart from white space between tokens:
			// "errors" before "status", and nothing escaped that the
			// document does not escape.
			if compact(t, got.body) != compact(t, c.body) {
				t.Errorf("body\n got %s\nwant %s", got.body, c.body)
			}
		})
	}
}

// TestPydanticInvalidBody renders PFR and Rosstat violations.
func TestPydanticInvalidBody(t *testing.T) {
	d := mustCompile(t, pydanticManifest())
	cases := []struct {
		name string
		kind sdk.OperationKind
		src  request
		body string
	}{
		{
			name: "missing",
			kind: sdk.OpList,
			src:  query("type", "ao4"),
			body: `[{"loc": ["guid"], "msg": "field required", "type": "value_error"}]`,
		},
		{
			name: "enum",
			kind: sdk.OpList,
			src:  query("type", "platform"),
			body: `[{"loc": ["type"], "msg": "value is not a valid enumeration member; permitted: '1c', 'iotchet', 'ao4', 'ao5'", "type": "type_error"}]`,
		},
		{
			name: "several, in declaration order",
			kind: sdk.OpUpload,
			src:  form("file", "a.zip", "gate", "xyz"),
			body: `[{"loc": ["type"], "msg": "field required", "type": "value_error"}, ` +
				`{"loc": ["guid"], "msg": "field required", "type": "value_error"}, ` +
				`{"loc": ["gate"], "msg": "value is not a valid uuid", "type": "type_error"}]`,
		},
		{
			name: "datetime and regex",
			kind: sdk.OpMassreport,
			src:  query("code", "9999", "date_end", "31.12.2022"),
			body: `[{"loc": ["code"], "msg": "string does not match regex \"^\\d{2}-\\d{2}$\"", "type": "value_error"}, ` +
				`{"loc": ["date_end"], "msg": "invalid datetime format", "type": "value_error"}]`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, vs := d.Operation(c.kind).Bind(c.src, msk)
			got := record(t, func(w http.ResponseWriter) { d.Errors.WriteInvalid(w, http.StatusBadRequest, vs) })
			if got.status != http.StatusBadRequest || got.contentType != "application/json" {
				t.Errorf("status %d, content type %q", got.status, got.contentType)
			}
			var decoded, want []map[string]any
			if err := json.Unmarshal([]byte(got.body), &decoded); err != nil {
				t.Fatalf("body %s: %v", got.body, err)
			}
			if err := json.Unmarshal([]byte(c.body), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(decoded, want) {
				t.Errorf("decoded %v, want %v", decoded, want)
			}
			// The exact text, apart from white space between tokens: keys
			// in pydantic's order loc, msg, type.
			if compact(t, got.body) != compact(t, c.body) {
				t.Errorf("body\n got %s\nwant %s", got.body, c.body)
			}
		})
	}
}

func TestInvalidWithOtherStatuses(t *testing.T) {
	tooLarge := []sdk.Violation{{Param: "file", Kind: sdk.ViolationTooLarge, Args: map[string]string{"limit": "1048576"}}}
	got := record(t, func(w http.ResponseWriter) {
		mustCompile(t, envelopeManifest()).Errors.WriteInvalid(w, http.StatusRequestEntityTooLarge, tooLarge)
	})
	want := `{"errors": ["\"file\" is larger than the limit of 1048576 bytes"], "status": "Request Entity Too Large"}`
	if got.status != http.StatusRequestEntityTooLarge || compact(t, got.body) != compact(t, want) {
		t.Errorf("envelope 413: %d %s, want %s", got.status, got.body, want)
	}
	got = record(t, func(w http.ResponseWriter) {
		mustCompile(t, pydanticManifest()).Errors.WriteInvalid(w, http.StatusRequestEntityTooLarge, tooLarge)
	})
	want = `[{"loc": ["file"], "msg": "value is larger than the limit of 1048576 bytes", "type": "value_error"}]`
	if got.status != http.StatusRequestEntityTooLarge || compact(t, got.body) != compact(t, want) {
		t.Errorf("pydantic 413: %d %s, want %s", got.status, got.body, want)
	}
}

func TestFailureBodies(t *testing.T) {
	fns := mustCompile(t, envelopeManifest())
	pfr := mustCompile(t, pydanticManifest())
	cases := []struct {
		name        string
		errs        *enforce.ErrorFormat
		status      int
		message     string
		contentType string
		body        string
	}{
		{"envelope 404", fns.Errors, 404, "Not Found", "application/json",
			`{"errors": ["Not Found"], "status": "Not Found"}`},
		{"envelope 405", fns.Errors, 405, `method "PUT" is not allowed`, "application/json",
			`{"errors": ["method \"PUT\" is not allowed"], "status": "Method Not Allowed"}`},
		{"envelope 410", fns.Errors, 410, "the package's file was removed", "application/json",
			`{"errors": ["the package's file was removed"], "status": "Gone"}`},
		{"envelope 503", fns.Errors, 503, "the direction is restarting", "application/json",
			`{"errors": ["the direction is restarting"], "status": "Service Unavailable"}`},
		{"envelope 500", fns.Errors, 500, "<internal> & more", "application/json",
			`{"errors": ["<internal> & more"], "status": "Internal Server Error"}`},
		{"pydantic 404", pfr.Errors, 404, "Not Found", "application/json",
			`{"detail": "Not Found"}`},
		{"pydantic 409", pfr.Errors, 409, "Конфликт", "application/json",
			`{"detail": "Конфликт"}`},
		{"pydantic 503 is plain text", pfr.Errors, 503, "Service Unavailable", "text/plain; charset=utf-8",
			`Service Unavailable`},
		{"pydantic 500 is plain text", pfr.Errors, 500, `"quoted" <text>`, "text/plain; charset=utf-8",
			`"quoted" <text>`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := record(t, func(w http.ResponseWriter) { c.errs.WriteFailure(w, c.status, c.message) })
			if got.status != c.status {
				t.Errorf("status %d, want %d", got.status, c.status)
			}
			if got.contentType != c.contentType {
				t.Errorf("content type %q, want %q", got.contentType, c.contentType)
			}
			if got.body != c.body {
				t.Errorf("body\n got %s\nwant %s", got.body, c.body)
			}
			if c.contentType == "application/json" && !json.Valid([]byte(got.body)) {
				t.Errorf("body is not JSON: %s", got.body)
			}
		})
	}
}

func TestCustomContentType(t *testing.T) {
	m := pydanticManifest()
	m.Errors.Failure = sdk.Body{ContentType: "application/problem+json", Template: `{"title": {{json .Reason}}, "status": {{.Status}}, "detail": {{json .Message}}}`}
	d := mustCompile(t, m)
	got := record(t, func(w http.ResponseWriter) { d.Errors.WriteFailure(w, 404, "no such link") })
	if got.contentType != "application/problem+json" {
		t.Errorf("content type %q", got.contentType)
	}
	if want := `{"title": "Not Found", "status": 404, "detail": "no such link"}`; got.body != want {
		t.Errorf("body %s, want %s", got.body, want)
	}
}

func TestMessage(t *testing.T) {
	fns := mustCompile(t, envelopeManifest()).Errors
	pfr := mustCompile(t, pydanticManifest()).Errors
	cases := []struct {
		name    string
		errs    *enforce.ErrorFormat
		v       sdk.Violation
		text    string
		errType string
	}{
		{name: "placeholders", errs: fns,
			v:    sdk.Violation{Param: "guid", Kind: sdk.ViolationRequiredWhen, Args: map[string]string{"other": "type", "value": "ao4"}},
			text: `"guid" is required when "type" is "ao4"`},
		{name: "a value is not expanded again", errs: fns,
			v:    sdk.Violation{Param: "guid", Kind: sdk.ViolationRequiredWhen, Args: map[string]string{"other": "{value}", "value": "{name}"}},
			text: `"guid" is required when "{value}" is "{name}"`},
		{name: "a direction's own kind", errs: fns,
			v:    sdk.Violation{Param: "file", Kind: "container_name"},
			text: `"file" name must be a container name`},
		{name: "a kind the format does not know, with a message", errs: pfr,
			v:    sdk.Violation{Param: "file", Kind: "checksum", Message: "the checksum does not match"},
			text: "the checksum does not match", errType: "checksum"},
		{name: "a kind the format does not know, without a message", errs: pfr,
			v:    sdk.Violation{Param: "file", Kind: "checksum"},
			text: "checksum", errType: "checksum"},
		{name: "pydantic type", errs: pfr,
			v:    sdk.Violation{Param: "guid", Kind: sdk.ViolationUUID},
			text: "value is not a valid uuid", errType: "type_error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, errType := c.errs.Message(c.v)
			if text != c.text || errType != c.errType {
				t.Errorf("Message = %q, %q; want %q, %q", text, errType, c.text, c.errType)
			}
		})
	}
}
