package enforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/reportgate/reportgate/sdk"
)

// ErrorFormat renders a direction's errors from its declared templates.
type ErrorFormat struct {
	invalid, failure, serverFailure errorBody
	violation                       *template.Template
	messages                        map[string]sdk.Message
}

type errorBody struct {
	contentType string
	isJSON      bool
	tmpl        *template.Template
}

// errorData is what the body templates see.
type errorData struct {
	Status     int
	Reason     string
	Message    string
	Messages   []string
	Violations []json.RawMessage
}

// violationData is what the violation template sees.
type violationData struct {
	Param   string
	Loc     []any
	Kind    string
	Message string
	Type    string
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{"json": encodeJSON, "array": joinArray}
}

// joinArray writes rendered JSON fragments as a JSON array as they are:
// the json function would re-encode them and lose the violation
// template's own spacing.
func joinArray(items []json.RawMessage) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// encodeJSON encodes a value for a template, without the HTML escaping
// that encoding/json does by default: error bodies are JSON, not HTML.
func encodeJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// compileErrors parses the format's templates and renders each with
// sample data, so that a format that would fail on a client's request is
// refused at load instead.
func compileErrors(f sdk.ErrorFormat, extraKinds []string) (*ErrorFormat, error) {
	out := &ErrorFormat{messages: f.Messages}
	var err error
	if out.invalid, err = compileBody("errors.invalid", f.Invalid); err != nil {
		return nil, err
	}
	if out.failure, err = compileBody("errors.failure", f.Failure); err != nil {
		return nil, err
	}
	if out.serverFailure, err = compileBody("errors.server_failure", f.ServerFailure); err != nil {
		return nil, err
	}
	// Without a violation template .Violations is always empty, and every
	// 400 would carry no violation at all.
	if f.Violation == "" && strings.Contains(f.Invalid.Template, ".Violations") {
		return nil, fmt.Errorf("errors.invalid: it shows .Violations, but errors.violation, which renders each, is empty")
	}
	if f.Violation != "" {
		if out.violation, err = template.New("violation").Funcs(templateFuncs()).Option("missingkey=error").Parse(f.Violation); err != nil {
			return nil, fmt.Errorf("errors.violation: %w", err)
		}
	}
	for _, kind := range append(sdk.HostViolationKinds(), extraKinds...) {
		if _, ok := f.Messages[kind]; !ok {
			return nil, fmt.Errorf("errors.messages: no message for violation kind %q", kind)
		}
	}
	// Render every body once, so a template that fails or produces
	// invalid JSON is caught now.
	var sample []sdk.Violation
	for kind := range f.Messages {
		sample = append(sample, sdk.Violation{Param: "sample", Kind: kind})
	}
	if _, _, err := out.renderInvalid(http.StatusBadRequest, sample); err != nil {
		return nil, fmt.Errorf("errors.invalid: %w", err)
	}
	if _, _, err := out.failure.render(errorData{Status: 404, Reason: "Not Found", Message: "Not Found"}); err != nil {
		return nil, fmt.Errorf("errors.failure: %w", err)
	}
	if _, _, err := out.serverFailure.render(errorData{Status: 503, Reason: "Service Unavailable", Message: "Service Unavailable"}); err != nil {
		return nil, fmt.Errorf("errors.server_failure: %w", err)
	}
	return out, nil
}

func compileBody(name string, b sdk.Body) (errorBody, error) {
	if b.Template == "" {
		return errorBody{}, fmt.Errorf("%s: the template is empty", name)
	}
	contentType := b.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return errorBody{}, fmt.Errorf("%s: content type: %w", name, err)
	}
	tmpl, err := template.New(name).Funcs(templateFuncs()).Option("missingkey=error").Parse(b.Template)
	if err != nil {
		return errorBody{}, fmt.Errorf("%s: %w", name, err)
	}
	return errorBody{
		contentType: contentType,
		isJSON:      mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"),
		tmpl:        tmpl,
	}, nil
}

func (b errorBody) render(data errorData) (contentType string, body []byte, err error) {
	var buf bytes.Buffer
	if err := b.tmpl.Execute(&buf, data); err != nil {
		return "", nil, err
	}
	if b.isJSON && !json.Valid(buf.Bytes()) {
		return "", nil, fmt.Errorf("the template renders invalid JSON: %s", buf.Bytes())
	}
	return b.contentType, buf.Bytes(), nil
}

// Message renders a violation's message: the declared text for its kind
// with the placeholders filled, or the hook's own message for a kind the
// format does not know.
func (f *ErrorFormat) Message(v sdk.Violation) (text, errType string) {
	m, ok := f.messages[v.Kind]
	if !ok {
		if v.Message != "" {
			return v.Message, v.Kind
		}
		return v.Kind, v.Kind
	}
	pairs := []string{"{name}", v.Param}
	keys := make([]string, 0, len(v.Args))
	for k := range v.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pairs = append(pairs, "{"+k+"}", v.Args[k])
	}
	return strings.NewReplacer(pairs...).Replace(m.Text), m.Type
}

func (f *ErrorFormat) renderInvalid(status int, vs []sdk.Violation) (string, []byte, error) {
	data := errorData{Status: status, Reason: http.StatusText(status)}
	for _, v := range vs {
		text, errType := f.Message(v)
		data.Messages = append(data.Messages, text)
		if f.violation == nil {
			continue
		}
		var buf bytes.Buffer
		err := f.violation.Execute(&buf, violationData{
			Param: v.Param, Loc: []any{v.Param}, Kind: v.Kind, Message: text, Type: errType,
		})
		if err != nil {
			return "", nil, fmt.Errorf("violation: %w", err)
		}
		if !json.Valid(buf.Bytes()) {
			return "", nil, fmt.Errorf("the violation template renders invalid JSON: %s", buf.Bytes())
		}
		data.Violations = append(data.Violations, buf.Bytes())
	}
	return f.invalid.render(data)
}

// WriteInvalid answers with the violations, all of them at once.
func (f *ErrorFormat) WriteInvalid(w http.ResponseWriter, status int, vs []sdk.Violation) {
	contentType, body, err := f.renderInvalid(status, vs)
	writeRendered(w, status, contentType, body, err)
}

// WriteFailure answers with an error that is not about one parameter:
// the body of a 4xx or of a 5xx, as the status says.
func (f *ErrorFormat) WriteFailure(w http.ResponseWriter, status int, message string) {
	b := f.failure
	if status >= 500 {
		b = f.serverFailure
	}
	contentType, body, err := b.render(errorData{Status: status, Reason: http.StatusText(status), Message: message})
	writeRendered(w, status, contentType, body, err)
}

// writeRendered writes a rendered body. Templates were all rendered once
// at load, so a failure here is a bug; the client still gets the status,
// with a plain body.
func writeRendered(w http.ResponseWriter, status int, contentType string, body []byte, err error) {
	if err != nil {
		contentType, body = "text/plain; charset=utf-8", []byte(http.StatusText(status))
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}
