// Package enforce turns a direction's manifest into what the host
// enforces: the parameter checks, the error bodies, the link templates and
// the response shapes. Compile refuses a manifest that contradicts itself,
// so that a broken plugin fails at load, not on a client's request.
//
// The host runs this package on every request; it lives in the SDK so
// that a plugin's own tests (see sdktest) check requests and render errors
// exactly as the host will.
package enforce

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/reportgate/reportgate/sdk"
)

// Direction is a compiled manifest.
type Direction struct {
	// Manifest is the manifest as the plugin declared it.
	Manifest sdk.Manifest
	// Errors renders the direction's errors.
	Errors *ErrorFormat
	ops    map[sdk.OperationKind]*Operation
	attrs  map[string]bool
}

// Operation is a compiled operation.
type Operation struct {
	spec   sdk.Operation
	params []param
	// Link builds the link of a delivered or published package.
	Link *LinkTemplate
	// Response renders the answer of a subscriber operation.
	Response *Response
}

// Name is the direction's name.
func (d *Direction) Name() string { return d.Manifest.Name }

// Operation returns a declared operation, or nil.
func (d *Direction) Operation(kind sdk.OperationKind) *Operation { return d.ops[kind] }

// Hook reports whether the host calls the upload hook for this operation.
func (op *Operation) Hook() bool { return op.spec.Hook }

// WithHookViolations adds the upload hook's refusals to the host's, in
// parameter order, so a client learns every fault of a request at once. A
// parameter the host refused was not shown to the hook, which may then
// call it missing: the host's reason is the one that stands.
func (op *Operation) WithHookViolations(host, hook []sdk.Violation) []sdk.Violation {
	out := slices.Clone(host)
	for _, v := range hook {
		if !slices.ContainsFunc(host, func(h sdk.Violation) bool { return h.Param == v.Param }) {
			out = append(out, v)
		}
	}
	return op.Ordered(out)
}

// Ordered sorts violations into the order of the parameters they name,
// as a client reads them; a violation of an undeclared parameter goes
// last. The sort is stable, so one parameter's violations keep theirs.
func (op *Operation) Ordered(vs []sdk.Violation) []sdk.Violation {
	rank := func(v sdk.Violation) int {
		for i, p := range op.params {
			if p.Name == v.Param {
				return i
			}
		}
		return len(op.params)
	}
	slices.SortStableFunc(vs, func(a, b sdk.Violation) int { return rank(a) - rank(b) })
	return vs
}

// Binds reports whether a parameter of the operation binds the field.
func (op *Operation) Binds(field string) bool {
	for _, p := range op.params {
		if p.Bind == field {
			return true
		}
	}
	return false
}

// ParamFor names the parameter that binds a field, or "" when none does.
func (op *Operation) ParamFor(field string) string {
	for _, p := range op.params {
		if p.Bind == field {
			return p.Name
		}
	}
	return ""
}

// FileParam is the name of the multipart part that carries the file, or
// "" for an operation that takes none.
func (op *Operation) FileParam() string {
	for _, p := range op.params {
		if p.Type == sdk.TypeFile {
			return p.Name
		}
	}
	return ""
}

// HookSettable reports whether the upload hook may set a field.
func (d *Direction) HookSettable(field string) bool {
	switch field {
	case sdk.FieldType, sdk.FieldGUID, sdk.FieldGate, sdk.FieldCode:
		return true
	}
	return d.attrs[field]
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// commonFields are the fields every package has, which templates and
// responses may name.
var commonFields = []string{
	sdk.FieldID, sdk.FieldUID, sdk.FieldType, sdk.FieldGUID, sdk.FieldGate, sdk.FieldCode,
	sdk.FieldFilename, sdk.FieldLink, sdk.FieldClientIP, sdk.FieldSentAt, sdk.FieldDateIn,
	sdk.FieldSize, sdk.FieldSHA256,
}

// Compile checks a manifest and compiles it. Its errors name the part of
// the manifest at fault.
func Compile(m sdk.Manifest) (*Direction, error) {
	if !namePattern.MatchString(m.Name) {
		return nil, fmt.Errorf("manifest name %q: want lower case letters, digits, - and _, starting with a letter", m.Name)
	}
	if m.Protocol != sdk.ProtocolVersion {
		return nil, fmt.Errorf("manifest of %s: protocol %d, but this host speaks %d", m.Name, m.Protocol, sdk.ProtocolVersion)
	}
	if m.UIDFormat != sdk.UIDHex && m.UIDFormat != sdk.UIDDashed {
		return nil, fmt.Errorf("manifest of %s: uid_format %q: want %q or %q", m.Name, m.UIDFormat, sdk.UIDHex, sdk.UIDDashed)
	}
	d := &Direction{Manifest: m, ops: map[sdk.OperationKind]*Operation{}, attrs: map[string]bool{}}
	for _, a := range m.Attributes {
		if !namePattern.MatchString(a.Name) || slices.Contains(commonFields, a.Name) || a.Name == sdk.FieldSince || a.Name == sdk.FieldUntil {
			return nil, fmt.Errorf("manifest of %s: attribute %q is not a plain name or is a common field", m.Name, a.Name)
		}
		if d.attrs[a.Name] {
			return nil, fmt.Errorf("manifest of %s: attribute %q is declared twice", m.Name, a.Name)
		}
		d.attrs[a.Name] = true
	}
	var hookKinds []string
	for k := range m.Errors.Messages {
		if !slices.Contains(sdk.HostViolationKinds(), k) {
			hookKinds = append(hookKinds, k)
		}
	}
	errs, err := compileErrors(m.Errors, hookKinds)
	if err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", m.Name, err)
	}
	d.Errors = errs
	for _, spec := range m.Operations {
		if _, dup := d.ops[spec.Kind]; dup {
			return nil, fmt.Errorf("manifest of %s: operation %q is declared twice", m.Name, spec.Kind)
		}
		op, err := d.compileOperation(spec)
		if err != nil {
			return nil, fmt.Errorf("manifest of %s: operation %q: %w", m.Name, spec.Kind, err)
		}
		d.ops[spec.Kind] = op
	}
	if err := d.checkPaths(); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", m.Name, err)
	}
	if d.ops[sdk.OpList] == nil {
		return nil, fmt.Errorf("manifest of %s: it declares no list operation", m.Name)
	}
	return d, nil
}

var pathPattern = regexp.MustCompile(`^[a-z0-9_-]+(/[a-z0-9_-]+)*$`)

// checkPaths refuses a path that is not plain, a path on an operator
// operation, and two operations answering the same method at one path.
func (d *Direction) checkPaths() error {
	seen := map[string]sdk.OperationKind{}
	for kind, op := range d.ops {
		if op.spec.Path != "" && !pathPattern.MatchString(op.spec.Path) {
			return fmt.Errorf("operation %q: path %q: want lower-case segments such as \"mailings\"", kind, op.spec.Path)
		}
		if op.spec.Path != "" && (kind == sdk.OpDeliver || kind == sdk.OpPublish) {
			return fmt.Errorf("operation %q: operator operations have fixed routes and take no path", kind)
		}
		route := op.Method() + " " + op.spec.RoutePath()
		if other, clash := seen[route]; clash && op.Method() != "" {
			return fmt.Errorf("operations %q and %q are both served at %s", other, kind, route)
		}
		seen[route] = kind
	}
	return nil
}

// Method is the HTTP method a subscriber operation answers; "" for
// operator operations.
func (op *Operation) Method() string {
	switch op.spec.Kind {
	case sdk.OpUpload:
		return "POST"
	case sdk.OpList, sdk.OpMassreport:
		return "GET"
	}
	return ""
}

// Path is where a subscriber operation is served below the prefix.
func (op *Operation) Path() string { return op.spec.RoutePath() }

// Routes lists the direction's subscriber routes below its prefix, as
// "METHOD path", sorted.
func (d *Direction) Routes() []string {
	var out []string
	for _, op := range d.ops {
		if op.Method() != "" {
			out = append(out, op.Method()+" "+op.Path())
		}
	}
	slices.Sort(out)
	return out
}

// known reports whether templates and responses may name a field.
func (d *Direction) known(field string) bool {
	return slices.Contains(commonFields, field) || d.attrs[field]
}

// takesFile is whether an operation carries a package.
func takesFile(kind sdk.OperationKind) bool {
	return kind == sdk.OpUpload || kind == sdk.OpDeliver || kind == sdk.OpPublish
}

func (d *Direction) compileOperation(spec sdk.Operation) (*Operation, error) {
	switch spec.Kind {
	case sdk.OpUpload, sdk.OpList, sdk.OpMassreport, sdk.OpDeliver, sdk.OpPublish:
	default:
		return nil, errors.New("unknown operation kind")
	}
	op := &Operation{spec: spec}
	names, binds := map[string]bool{}, map[string]bool{}
	files := 0
	for _, p := range spec.Params {
		if err := d.checkParam(spec.Kind, p); err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		name := p.Name
		if p.In == sdk.InHeader {
			name = "header:" + strings.ToLower(name)
		}
		if names[name] {
			return nil, fmt.Errorf("parameter %q is declared twice", p.Name)
		}
		names[name] = true
		if p.Bind != "" {
			if binds[p.Bind] {
				return nil, fmt.Errorf("parameter %q binds %q, which another parameter binds", p.Name, p.Bind)
			}
			binds[p.Bind] = true
		}
		if p.Type == sdk.TypeFile {
			files++
		}
		compiled, err := compileParam(p)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", p.Name, err)
		}
		// A default stands in for the client's value, so it must pass the
		// same check; otherwise every request without it would be refused.
		if p.Default != "" {
			if _, _, v := compiled.check(p.Default, time.UTC); v != nil {
				return nil, fmt.Errorf("parameter %q: default %q is not a valid value (%s)", p.Name, p.Default, v.Kind)
			}
		}
		op.params = append(op.params, compiled)
	}
	if want := takesFile(spec.Kind); (files == 1) != want || files > 1 {
		return nil, fmt.Errorf("it has %d file parameters; an upload, deliver or publish takes exactly one, a list none", files)
	}
	for i, r := range spec.Rules {
		if err := checkRule(r, spec.Params); err != nil {
			return nil, fmt.Errorf("rule %d: %w", i+1, err)
		}
	}
	if spec.Hook && !takesFile(spec.Kind) {
		return nil, errors.New("only upload, deliver and publish call the upload hook")
	}
	var err error
	switch spec.Kind {
	case sdk.OpDeliver, sdk.OpPublish:
		if spec.Link == "" {
			return nil, errors.New("it needs a link template")
		}
		if op.Link, err = compileLink(spec.Link, d.linkable); err != nil {
			return nil, err
		}
	default:
		if spec.Link != "" {
			return nil, errors.New("only deliver and publish build links")
		}
		want := sdk.ShapeObjects
		if spec.Kind == sdk.OpUpload {
			want = sdk.ShapeObject
		}
		if spec.Response.Shape != want && (spec.Kind == sdk.OpUpload || spec.Response.Shape != sdk.ShapeValues) {
			return nil, fmt.Errorf("response shape %q does not suit the operation", spec.Response.Shape)
		}
		if op.Response, err = compileResponse(spec.Response, d.known); err != nil {
			return nil, err
		}
	}
	return op, nil
}

// linkable reports whether a link may carry a field: the string fields.
func (d *Direction) linkable(field string) bool {
	switch field {
	case sdk.FieldLink, sdk.FieldSentAt, sdk.FieldDateIn, sdk.FieldSize:
		return false
	}
	return d.known(field)
}

func (d *Direction) checkParam(kind sdk.OperationKind, p sdk.Param) error {
	if p.Name == "" {
		return errors.New("it has no name")
	}
	switch p.In {
	case sdk.InQuery:
		if takesFile(kind) {
			return errors.New("an upload reads the form and headers, not the query")
		}
	case sdk.InForm:
		if !takesFile(kind) {
			return errors.New("a list reads the query and headers, not a form")
		}
	case sdk.InHeader:
	default:
		return fmt.Errorf("unknown location %q", p.In)
	}
	switch p.Type {
	case sdk.TypeString, sdk.TypeUUID, sdk.TypeIP, sdk.TypeDate, sdk.TypeDateTime, sdk.TypeDateOrDateTime:
	case sdk.TypeEnum:
		if len(p.Values) == 0 {
			return errors.New("an enum needs values")
		}
		for from, to := range p.Aliases {
			if !slices.Contains(p.Values, to) {
				return fmt.Errorf("alias %q names %q, which is not an allowed value", from, to)
			}
		}
	case sdk.TypeFile:
		if p.In != sdk.InForm || p.Bind != "" || p.Default != "" {
			return errors.New("a file is a form part, binds nothing and has no default")
		}
	default:
		return fmt.Errorf("unknown type %q", p.Type)
	}
	if p.Type != sdk.TypeEnum && (len(p.Values) > 0 || len(p.Aliases) > 0) {
		return errors.New("only an enum takes values and aliases")
	}
	if p.Case != "" && p.Case != sdk.CaseUpper && p.Case != sdk.CaseLower {
		return fmt.Errorf("unknown case %q", p.Case)
	}
	return d.checkBind(kind, p)
}

// checkBind checks that a parameter binds to a field that can hold its
// value.
func (d *Direction) checkBind(kind sdk.OperationKind, p sdk.Param) error {
	isTime := p.Type == sdk.TypeDate || p.Type == sdk.TypeDateTime || p.Type == sdk.TypeDateOrDateTime
	switch p.Bind {
	case "":
		if p.Type != sdk.TypeFile {
			return errors.New("it binds to no field")
		}
	case sdk.FieldSince, sdk.FieldUntil:
		if kind != sdk.OpMassreport || !isTime {
			return fmt.Errorf("only a massreport date binds %q", p.Bind)
		}
	case sdk.FieldSentAt:
		if p.Type != sdk.TypeDateTime {
			return fmt.Errorf("%q takes a datetime", p.Bind)
		}
	case sdk.FieldClientIP:
		if p.Type != sdk.TypeIP {
			return fmt.Errorf("%q takes an ip", p.Bind)
		}
	case sdk.FieldType, sdk.FieldGUID, sdk.FieldGate, sdk.FieldCode:
		if isTime {
			return fmt.Errorf("%q is not a time", p.Bind)
		}
	default:
		if !d.attrs[p.Bind] {
			return fmt.Errorf("it binds %q, which is neither a bindable field nor a declared attribute", p.Bind)
		}
		if isTime {
			return fmt.Errorf("attribute %q is not a time", p.Bind)
		}
	}
	return nil
}

func checkRule(r sdk.Rule, params []sdk.Param) error {
	if r.Kind != sdk.RuleRequiredWhen {
		return fmt.Errorf("unknown rule %q", r.Kind)
	}
	declared := func(name string) bool {
		return slices.ContainsFunc(params, func(p sdk.Param) bool { return p.Name == name })
	}
	if !declared(r.Param) || !declared(r.If) {
		return fmt.Errorf("%s %q when %q: both must be declared parameters", r.Kind, r.Param, r.If)
	}
	if len(r.Equals) == 0 {
		return fmt.Errorf("%s %q when %q: equals lists no value", r.Kind, r.Param, r.If)
	}
	return nil
}
