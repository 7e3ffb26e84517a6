package enforce

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/reportgate/reportgate/sdk"
)

// Layouts of the date and time values clients send.
const (
	LayoutDate     = "2006-01-02"
	LayoutDateTime = "2006-01-02 15:04:05"
)

// Source is where a request's parameters are read from.
type Source interface {
	// Lookup returns a parameter's value as sent; for the file parameter,
	// the file name. An absent or empty value is not ok.
	Lookup(in sdk.Location, name string) (value string, ok bool)
}

// Bound is a valid request's parameters, normalised, by the field each
// binds to.
type Bound struct {
	// Fields are the string values: type, guid, gate, code, client_ip and
	// attributes.
	Fields map[string]string
	// Times are the time values: since, until and sent_at.
	Times map[string]Instant
	// Filename is the file parameter's file name.
	Filename string
}

// Instant is a time a client sent, read in the host's time zone.
type Instant struct {
	time.Time
	// DateOnly is a bare date, which as the end of a range means the whole
	// day.
	DateOnly bool
}

type param struct {
	sdk.Param
	pattern *regexp.Regexp
	allowed string // the enum's values quoted, for messages
}

func compileParam(p sdk.Param) (param, error) {
	out := param{Param: p}
	if p.Pattern != "" {
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return param{}, fmt.Errorf("pattern: %w", err)
		}
		out.pattern = re
	}
	quoted := make([]string, len(p.Values))
	for i, v := range p.Values {
		quoted[i] = "'" + v + "'"
	}
	out.allowed = strings.Join(quoted, ", ")
	return out, nil
}

// Bind checks a request against the operation's parameters and rules. It
// returns every violation at once, in declaration order, or the bound
// values when there are none.
func (op *Operation) Bind(src Source, tz *time.Location) (Bound, []sdk.Violation) {
	b := Bound{Fields: map[string]string{}, Times: map[string]Instant{}}
	var violations []sdk.Violation
	present := map[string]string{}
	for _, p := range op.params {
		raw, ok := src.Lookup(p.In, p.Name)
		if !ok && p.Default != "" {
			raw, ok = p.Default, true
		}
		if !ok {
			if p.Required {
				violations = append(violations, sdk.Violation{Param: p.Name, Kind: sdk.ViolationMissing})
			}
			continue
		}
		value, instant, v := p.check(raw, tz)
		if v != nil {
			violations = append(violations, *v)
			continue
		}
		present[p.Name] = value
		switch {
		case p.Type == sdk.TypeFile:
			b.Filename = value
		case instant != nil:
			b.Times[p.Bind] = *instant
		case p.Bind != "":
			b.Fields[p.Bind] = value
		}
	}
	for _, r := range op.spec.Rules {
		value, triggered := present[r.If]
		if _, has := present[r.Param]; has || !triggered || !slices.Contains(r.Equals, value) ||
			slices.ContainsFunc(violations, func(v sdk.Violation) bool { return v.Param == r.Param }) {
			continue
		}
		violations = append(violations, sdk.Violation{
			Param: r.Param, Kind: sdk.ViolationRequiredWhen,
			Args: map[string]string{"other": r.If, "value": value},
		})
	}
	return b, violations
}

// check validates one value and returns its normal form.
func (p param) check(raw string, tz *time.Location) (string, *Instant, *sdk.Violation) {
	fail := func(kind string, args map[string]string) (string, *Instant, *sdk.Violation) {
		return "", nil, &sdk.Violation{Param: p.Name, Kind: kind, Args: args}
	}
	if p.Type == sdk.TypeFile {
		if !PlainFilename(raw) {
			return fail(sdk.ViolationFilename, nil)
		}
		return raw, nil, nil
	}
	if !utf8.ValidString(raw) || strings.ContainsFunc(raw, unicode.IsControl) {
		return fail(sdk.ViolationMalformed, map[string]string{"detail": "is not plain text"})
	}
	value := raw
	switch p.Type {
	case sdk.TypeEnum:
		if alias, ok := p.Aliases[value]; ok {
			value = alias
		}
		if !slices.Contains(p.Values, value) {
			return fail(sdk.ViolationEnum, map[string]string{"allowed": p.allowed})
		}
	case sdk.TypeUUID:
		id, err := uuid.Parse(value)
		if err != nil {
			return fail(sdk.ViolationUUID, nil)
		}
		value = id.String()
	case sdk.TypeIP:
		addr, err := netip.ParseAddr(value)
		if err != nil {
			return fail(sdk.ViolationIP, nil)
		}
		value = addr.Unmap().String()
	case sdk.TypeDate, sdk.TypeDateTime, sdk.TypeDateOrDateTime:
		instant, kind := parseInstant(p.Type, value, tz)
		if kind != "" {
			return fail(kind, nil)
		}
		return value, &instant, nil
	}
	if p.pattern != nil && !p.pattern.MatchString(value) {
		return fail(sdk.ViolationPattern, map[string]string{"pattern": p.Pattern})
	}
	switch p.Case {
	case sdk.CaseUpper:
		value = strings.ToUpper(value)
	case sdk.CaseLower:
		value = strings.ToLower(value)
	}
	return value, nil, nil
}

// parseInstant reads a date or a date and time; the kind is the
// violation when it does not parse. The length is checked too, because
// time.Parse also takes a fraction after the seconds and a one-digit
// hour, which the declared layouts do not allow.
func parseInstant(t sdk.ValueType, value string, tz *time.Location) (Instant, string) {
	if t != sdk.TypeDate && len(value) == len(LayoutDateTime) {
		if at, err := time.ParseInLocation(LayoutDateTime, value, tz); err == nil {
			return Instant{Time: at}, ""
		}
	}
	if t != sdk.TypeDateTime && len(value) == len(LayoutDate) {
		if at, err := time.ParseInLocation(LayoutDate, value, tz); err == nil {
			return Instant{Time: at, DateOnly: true}, ""
		}
	}
	if t == sdk.TypeDate {
		return Instant{}, sdk.ViolationDate
	}
	return Instant{}, sdk.ViolationDateTime
}

// PlainFilename reports whether a client's file name is a plain name
// that can be shown and put in a link: not empty, at most 255 bytes of
// UTF-8, no path separator, no control character, and not "." or "..".
// It never becomes a path on disk either way; blobs are stored by id.
func PlainFilename(name string) bool {
	return name != "" && len(name) <= 255 && name != "." && name != ".." &&
		utf8.ValidString(name) && !strings.ContainsAny(name, `/\`) &&
		!strings.ContainsFunc(name, unicode.IsControl)
}
