package sdk

// Manifest is a direction's whole declaration. The host reads it once, at
// handshake, checks that it is consistent, and from then on enforces it
// itself: it validates requests, renders errors, builds links and shapes
// responses without calling the plugin again. Its JSON form is the wire
// format and what `reportgate plugins inspect` prints.
type Manifest struct {
	// Name is the direction's identifier: lower case, [a-z][a-z0-9_-]*.
	// It names the direction in the operator API and in logs.
	Name string `json:"name" yaml:"name"`
	// Title is a human-readable name, e.g. "Федеральная налоговая служба".
	Title string `json:"title,omitempty" yaml:"title,omitempty"`
	// Version is the plugin's own release, shown to operators.
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	// Protocol is the host protocol version the manifest is written
	// against. Serve fills it in; authors leave it zero.
	Protocol int `json:"protocol" yaml:"protocol"`
	// UIDFormat is how a package's uid is rendered in links and responses.
	UIDFormat UIDFormat `json:"uid_format" yaml:"uid_format"`
	// Attributes are the direction's own package fields (a regnum, an
	// OKPO code), beside the common ones listed under Field.
	Attributes []Attribute `json:"attributes,omitempty" yaml:"attributes,omitempty"`
	// Errors is the body every error of this direction is rendered in.
	Errors ErrorFormat `json:"errors" yaml:"errors"`
	// Operations are the routes and operator actions the direction serves.
	Operations []Operation `json:"operations" yaml:"operations"`
}

// RoutePath is where a subscriber operation is served below the prefix:
// its Path, or the default for its kind; "" for operator operations.
func (op *Operation) RoutePath() string {
	switch {
	case op.Path != "":
		return op.Path
	case op.Kind == OpUpload || op.Kind == OpList:
		return "packages"
	case op.Kind == OpMassreport:
		return "massreport"
	}
	return ""
}

// Operation looks an operation up by kind; it returns nil when the
// direction does not declare it.
func (m *Manifest) Operation(kind OperationKind) *Operation {
	for i := range m.Operations {
		if m.Operations[i].Kind == kind {
			return &m.Operations[i]
		}
	}
	return nil
}

// UIDFormat is the rendering of a package's 128-bit uid.
type UIDFormat string

const (
	// UIDHex renders 32 lower-case hex digits, as FNS does.
	UIDHex UIDFormat = "hex"
	// UIDDashed renders a dashed UUID, as PFR and Rosstat do.
	UIDDashed UIDFormat = "uuid"
)

// Attribute declares a direction-specific package field. Parameters bind
// to it, the upload hook may set it, and link templates and responses may
// use it by name. The host keeps attributes in a JSON column, so a new
// attribute needs no migration.
type Attribute struct {
	// Name is how templates, bindings and responses refer to it.
	Name string `json:"name" yaml:"name"`
	// Description says what it is, for operators reading the manifest.
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
}

// OperationKind names one of the things a direction can do.
type OperationKind string

const (
	// OpUpload is POST {prefix}/packages: a subscriber sends a package
	// towards the regulator. Its response has Shape ShapeObject.
	OpUpload OperationKind = "upload"
	// OpList is GET {prefix}/packages: the subscriber's inbound packages
	// not yet deleted, oldest first.
	OpList OperationKind = "list"
	// OpMassreport is GET {prefix}/massreport: mass mailings in a date
	// range.
	OpMassreport OperationKind = "massreport"
	// OpDeliver is the operator delivering an inbound package to a
	// subscriber. It needs a Link template.
	OpDeliver OperationKind = "deliver"
	// OpPublish is the operator publishing a mass mailing. It needs a Link
	// template.
	OpPublish OperationKind = "publish"
)

// Operation declares one operation: what it accepts, the rules across its
// parameters, whether the upload hook runs, and the shape of its answer.
type Operation struct {
	// Kind says which operation this is; each kind appears at most once.
	Kind OperationKind `json:"kind" yaml:"kind"`
	// Params are checked in this order, and violations are reported in it.
	Params []Param `json:"params" yaml:"params"`
	// Rules are checked after the parameters, in this order.
	Rules []Rule `json:"rules,omitempty" yaml:"rules,omitempty"`
	// Hook makes the host call PrepareUpload once the bytes are stored and
	// the parameters are valid. Only upload, deliver and publish take it.
	Hook bool `json:"hook,omitempty" yaml:"hook,omitempty"`
	// Link is the template of the package's link, for deliver and publish:
	// path segments with {field} placeholders, e.g.
	// "/{regnum}/{uid}/{filename}". It must contain {uid}, which makes every
	// link unique. A leading slash is kept in the rendered link.
	Link string `json:"link,omitempty" yaml:"link,omitempty"`
	// Path is where a subscriber operation is served, below the
	// direction's prefix: one or more lower-case segments such as
	// "mailings". It defaults to "packages" for upload and list and to
	// "massreport" for massreport. Operator operations have fixed routes.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// Response is the shape of a successful answer. Operator operations
	// answer in the host's own format and leave it empty.
	Response Response `json:"response,omitempty" yaml:"response,omitempty"`
}

// Param declares one request parameter.
type Param struct {
	// Name is the parameter as the client sends it: a query key, a form
	// field, or a header name.
	Name string `json:"name" yaml:"name"`
	// In is where the parameter is read from.
	In Location `json:"in" yaml:"in"`
	// Type is the value's type; it decides the check and the normal form.
	Type ValueType `json:"type" yaml:"type"`
	// Required refuses a request without the parameter.
	Required bool `json:"required,omitempty" yaml:"required,omitempty"`
	// Values are the allowed values of an enum.
	Values []string `json:"values,omitempty" yaml:"values,omitempty"`
	// Aliases map other spellings to an allowed value, e.g. the Cyrillic
	// "1с" to "1c".
	Aliases map[string]string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
	// Pattern is a regular expression (RE2 syntax) a string must match.
	Pattern string `json:"pattern,omitempty" yaml:"pattern,omitempty"`
	// Case normalises a string before it is stored and compared.
	Case Case `json:"case,omitempty" yaml:"case,omitempty"`
	// Default is the value used when the parameter is absent.
	Default string `json:"default,omitempty" yaml:"default,omitempty"`
	// Bind names the package field the value goes to: a common Field or a
	// declared attribute. A file parameter binds nothing.
	Bind string `json:"bind,omitempty" yaml:"bind,omitempty"`
}

// Location is where a parameter is read from.
type Location string

const (
	// InQuery reads the URL query string.
	InQuery Location = "query"
	// InForm reads a field of the multipart form.
	InForm Location = "form"
	// InHeader reads a request header.
	InHeader Location = "header"
)

// ValueType is the type of a parameter's value.
type ValueType string

const (
	// TypeString accepts any string; Pattern narrows it.
	TypeString ValueType = "string"
	// TypeEnum accepts one of Values (or an alias of one).
	TypeEnum ValueType = "enum"
	// TypeUUID accepts a UUID in any usual spelling and normalises it to
	// the dashed lower-case form.
	TypeUUID ValueType = "uuid"
	// TypeDate accepts YYYY-MM-DD.
	TypeDate ValueType = "date"
	// TypeDateTime accepts YYYY-MM-DD HH:MM:SS.
	TypeDateTime ValueType = "datetime"
	// TypeDateOrDateTime accepts either. As the end of a range, a bare
	// date includes that whole day.
	TypeDateOrDateTime ValueType = "date_or_datetime"
	// TypeIP accepts an IPv4 or IPv6 address.
	TypeIP ValueType = "ip"
	// TypeFile is the multipart file part that carries the package.
	TypeFile ValueType = "file"
)

// Case normalises the letter case of a string value.
type Case string

const (
	// CaseUpper stores the value in upper case.
	CaseUpper Case = "upper"
	// CaseLower stores the value in lower case.
	CaseLower Case = "lower"
)

// The common package fields that parameters bind to and that templates
// and responses name. Attributes add to them.
const (
	// FieldID is the host's id of the package, a UUID.
	FieldID = "id"
	// FieldUID is the 128-bit id in the link, rendered per UIDFormat.
	FieldUID = "uid"
	// FieldType is the subscriber's product type.
	FieldType = "type"
	// FieldGUID is the subscriber's id.
	FieldGUID = "guid"
	// FieldGate is the gateway the subscriber belongs to.
	FieldGate = "gate"
	// FieldCode is a mass mailing's office or department code.
	FieldCode = "code"
	// FieldFilename is the package's file name.
	FieldFilename = "filename"
	// FieldLink is the package's universal link.
	FieldLink = "link"
	// FieldClientIP is the uploader's address. When a parameter bound to
	// it is absent, the host takes the first X-Forwarded-For address, else
	// the connection's address.
	FieldClientIP = "client_ip"
	// FieldSentAt is when the client says it sent the package. When a
	// parameter bound to it is absent, the host uses the time of receipt.
	FieldSentAt = "sent_at"
	// FieldDateIn is when the operator received the package.
	FieldDateIn = "date_in"
	// FieldSize is the package's length in bytes.
	FieldSize = "size"
	// FieldSHA256 is the package's digest, lower-case hex.
	FieldSHA256 = "sha256"
	// FieldSince is the start of a massreport range; default the start of
	// today.
	FieldSince = "since"
	// FieldUntil is the inclusive end of a massreport range; default the
	// end of today.
	FieldUntil = "until"
)

// Rule is a check across parameters.
type Rule struct {
	// Kind is the rule; RuleRequiredWhen is the one there is.
	Kind RuleKind `json:"kind" yaml:"kind"`
	// Param is the parameter the rule constrains.
	Param string `json:"param" yaml:"param"`
	// If is the parameter whose value triggers the rule.
	If string `json:"if" yaml:"if"`
	// Equals are the values of If that trigger it.
	Equals []string `json:"equals" yaml:"equals"`
}

// RuleKind names a rule.
type RuleKind string

// RuleRequiredWhen makes Param required when If has one of Equals, as
// "guid is required when type is ao4".
const RuleRequiredWhen RuleKind = "required_when"

// Response is the shape of a successful answer.
type Response struct {
	// Shape is the JSON shape of the answer.
	Shape Shape `json:"shape,omitempty" yaml:"shape,omitempty"`
	// Fields are the keys of each object in order, or, for ShapeValues, the
	// one field whose values form the array.
	Fields []ResponseField `json:"fields,omitempty" yaml:"fields,omitempty"`
}

// Shape is the JSON shape of a response.
type Shape string

const (
	// ShapeObject is one object: the answer to an upload.
	ShapeObject Shape = "object"
	// ShapeObjects is an array of objects, one per package.
	ShapeObjects Shape = "objects"
	// ShapeValues is an array of one field's values, e.g. links.
	ShapeValues Shape = "values"
)

// ResponseField is one key of a response object.
type ResponseField struct {
	// Key is the JSON key, e.g. "окпо".
	Key string `json:"key" yaml:"key"`
	// Value names the package field it shows: a common Field or an
	// attribute. An unset value renders as null.
	Value string `json:"value" yaml:"value"`
	// Format renders a time field.
	Format TimeFormat `json:"format,omitempty" yaml:"format,omitempty"`
}

// TimeFormat is how a time is rendered, always in the host's configured
// time zone.
type TimeFormat string

const (
	// TimeSeconds renders YYYY-MM-DD HH:MM:SS; it is the default.
	TimeSeconds TimeFormat = "datetime"
	// TimeMicros renders YYYY-MM-DD HH:MM:SS.ffffff.
	TimeMicros TimeFormat = "datetime_micro"
)

// At returns a copy of p read from loc, so one declaration can serve the
// query of a list and the form of an upload.
func (p Param) At(loc Location) Param {
	p.In = loc
	return p
}

// Require returns a copy of p that is required.
func (p Param) Require() Param {
	p.Required = true
	return p
}
