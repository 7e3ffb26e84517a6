package enforce

import (
	"fmt"
	"regexp"
	"strings"
)

// LinkTemplate builds a package's link from its fields, e.g.
// "/{regnum}/{uid}/{filename}".
type LinkTemplate struct {
	text   string
	fields []string
}

var placeholder = regexp.MustCompile(`\{([^{}]*)\}`)

// compileLink parses a template and checks that every field it names is
// known and that it names {uid}, which keeps links unique.
func compileLink(text string, known func(string) bool) (*LinkTemplate, error) {
	t := &LinkTemplate{text: text}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if !known(m[1]) {
			return nil, fmt.Errorf("link %q uses the undeclared field %q", text, m[1])
		}
		t.fields = append(t.fields, m[1])
	}
	if rest := placeholder.ReplaceAllString(text, ""); strings.ContainsAny(rest, "{}") {
		return nil, fmt.Errorf("link %q has an unbalanced brace", text)
	}
	if !strings.Contains(text, "{uid}") {
		return nil, fmt.Errorf("link %q must contain {uid}, which makes each link unique", text)
	}
	return t, nil
}

// Link is a rendered link.
type Link struct {
	// Text is the link as responses show it. A value's %, ? and # are
	// percent-escaped, so that the link joined to the server's address
	// reaches the resolver whole; anything else a client's HTTP library
	// escapes on its own.
	Text string
	// Path is the request path that names the link once decoded, without
	// leading slashes: what the resolver looks up.
	Path string
}

// urlSyntax escapes the characters that would end a URL's path or turn
// into an escape, were a value written into a link as it is.
var urlSyntax = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// Render fills the template. Every value must be one plain path segment,
// so a value can never add a segment or climb out of the link; a missing
// value names the field.
func (t *LinkTemplate) Render(value func(field string) string) (Link, error) {
	text := make([]string, 0, 2*len(t.fields))
	raw := make([]string, 0, 2*len(t.fields))
	for _, f := range t.fields {
		v := value(f)
		if v == "" {
			return Link{}, &MissingFieldError{Field: f}
		}
		if !PlainFilename(v) {
			return Link{}, fmt.Errorf("%q is not a plain path segment", f)
		}
		text = append(text, "{"+f+"}", urlSyntax.Replace(v))
		raw = append(raw, "{"+f+"}", v)
	}
	return Link{
		Text: strings.NewReplacer(text...).Replace(t.text),
		Path: LinkPath(strings.NewReplacer(raw...).Replace(t.text)),
	}, nil
}

// MissingFieldError is a link that names a field the package does not
// have, such as the gate of a subscriber whose gate is not known yet.
type MissingFieldError struct {
	// Field is the field the link needs.
	Field string
}

// Error names the missing field.
func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("the link needs %q, which the package does not have", e.Field)
}

// LinkPath is a link as the resolver looks it up: without leading
// slashes, so "/x/y" and "x/y" name the same package.
func LinkPath(link string) string { return strings.TrimLeft(link, "/") }
