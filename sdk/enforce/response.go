package enforce

import (
	"fmt"
	"strconv"
	"time"

	"github.com/reportgate/reportgate/sdk"
)

// renderMicros is the layout of a time rendered to the microsecond.
const renderMicros = "2006-01-02 15:04:05.000000"

// Response renders packages in the shape an operation declared.
type Response struct {
	shape  sdk.Shape
	fields []responseField
}

type responseField struct {
	key    string // the key, JSON-encoded, with its colon
	value  string
	format sdk.TimeFormat
}

func compileResponse(r sdk.Response, known func(string) bool) (*Response, error) {
	out := &Response{shape: r.Shape}
	if r.Shape == sdk.ShapeValues && len(r.Fields) != 1 {
		return nil, fmt.Errorf("response: shape %q takes exactly one field, not %d", r.Shape, len(r.Fields))
	}
	seen := map[string]bool{}
	for _, f := range r.Fields {
		if !known(f.Value) {
			return nil, fmt.Errorf("response: key %q shows the undeclared field %q", f.Key, f.Value)
		}
		if r.Shape != sdk.ShapeValues && (f.Key == "" || seen[f.Key]) {
			return nil, fmt.Errorf("response: key %q is empty or repeated", f.Key)
		}
		switch f.Format {
		case "", sdk.TimeSeconds, sdk.TimeMicros:
		default:
			return nil, fmt.Errorf("response: key %q has the unknown format %q", f.Key, f.Format)
		}
		seen[f.Key] = true
		key, err := encodeJSON(f.Key)
		if err != nil {
			return nil, fmt.Errorf("response: key %q: %w", f.Key, err)
		}
		out.fields = append(out.fields, responseField{key: key + ": ", value: f.Value, format: f.Format})
	}
	return out, nil
}

// Shape is the declared shape.
func (r *Response) Shape() sdk.Shape { return r.shape }

// AppendItem appends one package as the shape wants it: an object, or
// the one field's value.
func (r *Response) AppendItem(dst []byte, p Record, tz *time.Location) []byte {
	if r.shape == sdk.ShapeValues {
		return appendJSONValue(dst, FieldValue(p, r.fields[0].value, r.fields[0].format, tz))
	}
	dst = append(dst, '{')
	for i, f := range r.fields {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, f.key...)
		dst = appendJSONValue(dst, FieldValue(p, f.value, f.format, tz))
	}
	return append(dst, '}')
}

// appendJSONValue appends a string, a number or null.
func appendJSONValue(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	default:
		s, err := encodeJSON(x)
		if err != nil {
			return append(dst, "null"...)
		}
		return append(dst, s...)
	}
}

// Record is a stored package as responses and links read it.
type Record interface {
	// Value is a field by name, a common one or an attribute: a string,
	// an int64 for the size, a time.Time, or nil when unset.
	Value(field string) any
}

// FieldValue is a package field as a response shows it: a string, an
// int64 for the size, or nil when unset. Times are rendered in tz.
func FieldValue(p Record, field string, format sdk.TimeFormat, tz *time.Location) any {
	switch v := p.Value(field).(type) {
	case time.Time:
		layout := LayoutDateTime
		if format == sdk.TimeMicros {
			layout = renderMicros
		}
		return v.In(tz).Format(layout)
	case string:
		if v == "" {
			return nil
		}
		return v
	case int64:
		return v
	}
	return nil
}

// StringField is a record's string field by name; "" when unset.
func StringField(p Record, field string) string {
	s, _ := p.Value(field).(string)
	return s
}
