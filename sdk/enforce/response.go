package enforce

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

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
		return r.fields[0].appendValue(dst, p, tz)
	}
	dst = append(dst, '{')
	for i, f := range r.fields {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, f.key...)
		dst = f.appendValue(dst, p, tz)
	}
	return append(dst, '}')
}

// appendValue appends the field's value as JSON: a string, a number, a
// time in tz, or null. It is the per-row work of every list, so it writes
// straight into dst instead of boxing and encoding each value.
func (f responseField) appendValue(dst []byte, p Record, tz *time.Location) []byte {
	if br, ok := p.(BytesRecord); ok {
		if b, ok := br.Bytes(f.value); ok {
			if len(b) == 0 {
				return append(dst, "null"...)
			}
			return appendJSONString(dst, b)
		}
	}
	switch v := p.Value(f.value).(type) {
	case string:
		if v == "" {
			return append(dst, "null"...)
		}
		return appendJSONString(dst, v)
	case int64:
		return strconv.AppendInt(dst, v, 10)
	case time.Time:
		layout := LayoutDateTime
		if f.format == sdk.TimeMicros {
			layout = renderMicros
		}
		dst = append(dst, '"')
		dst = v.In(tz).AppendFormat(dst, layout)
		return append(dst, '"')
	}
	return append(dst, "null"...)
}

// appendJSONString appends s as a JSON string. It is written here rather
// than taken from encoding/json, which offers no appender: encoding each
// value through an Encoder cost a buffer and an encoder per field of
// every row. Like encoding/json it escapes quotes, backslashes and
// control characters and replaces invalid UTF-8; unlike it, it leaves
// <, > and & alone, since the bodies are JSON, not HTML.
func appendJSONString[S string | []byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := decodeRune(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// decodeRune is utf8's DecodeRune for either a string or bytes.
func decodeRune[S string | []byte](s S) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// Fields are the package fields the response shows, in order, so that a
// store can read those and no others.
func (r *Response) Fields() []string {
	out := make([]string, len(r.fields))
	for i, f := range r.fields {
		out[i] = f.value
	}
	return out
}

// BytesRecord is a Record that can lend a string field's bytes without
// copying them, as the host's list rows do; responses use it when they
// can.
type BytesRecord interface {
	Record
	// Bytes is a string field's bytes, empty when unset; ok is false for a
	// field that is not a string column, which Value then answers.
	Bytes(field string) (b []byte, ok bool)
}

// Record is a stored package as responses and links read it.
type Record interface {
	// Value is a field by name, a common one or an attribute: a string,
	// an int64 for the size, a time.Time, or nil when unset.
	Value(field string) any
}

// StringField is a record's string field by name; "" when unset.
func StringField(p Record, field string) string {
	s, _ := p.Value(field).(string)
	return s
}
