package sdk

// ErrorFormat is how the host renders every error of a direction. Bodies
// are Go text/template texts; the host checks at load that each one
// parses and renders valid JSON (or text, for a text content type), so a
// broken format is refused before any client sees it.
//
// Templates see these values, a json function that encodes a value
// without escaping HTML, and an array function that writes .Violations as
// a JSON array keeping each rendered violation as it is:
//
//	.Status     int       the HTTP status, e.g. 400
//	.Reason     string    its reason phrase, e.g. "Bad Request"
//	.Message    string    the failure's message (Failure, ServerFailure)
//	.Messages   []string  one rendered message per violation (Invalid)
//	.Violations []any     one rendered Violation template each (Invalid)
//
// and the Violation template sees .Param, .Loc (["name"] or
// ["name", index]), .Kind, .Message and .Type.
type ErrorFormat struct {
	// Invalid renders violations: 400, and 413 for an oversized file.
	Invalid Body `json:"invalid" yaml:"invalid"`
	// Violation renders one violation, for .Violations. It is JSON.
	Violation string `json:"violation,omitempty" yaml:"violation,omitempty"`
	// Failure renders any other 4xx, e.g. 404 or 405.
	Failure Body `json:"failure" yaml:"failure"`
	// ServerFailure renders a 5xx, e.g. 503 while the plugin restarts.
	ServerFailure Body `json:"server_failure" yaml:"server_failure"`
	// Messages holds the text and type of each violation kind. Every kind
	// the host can raise (the Violation* constants) needs one; a hook may
	// raise kinds of its own, declared here too.
	Messages map[string]Message `json:"messages" yaml:"messages"`
}

// Body is one error body template and its content type.
type Body struct {
	// ContentType defaults to application/json. Any JSON type makes the
	// host check that the rendered body is JSON.
	ContentType string `json:"content_type,omitempty" yaml:"content_type,omitempty"`
	// Template is the text/template text.
	Template string `json:"template" yaml:"template"`
}

// Message is the rendering of one violation kind.
//
// Text may name these placeholders: {name} the parameter, {pattern} the
// regular expression, {allowed} the allowed values quoted as 'a', 'b',
// {other} and {value} the parameter and value that made it required,
// {limit} the byte limit, {detail} the host's explanation of a conflict or
// of a malformed request, and any argument the hook set.
type Message struct {
	// Text is the message.
	Text string `json:"text" yaml:"text"`
	// Type is an error type code some formats show, e.g. "value_error".
	Type string `json:"type,omitempty" yaml:"type,omitempty"`
}

// The violation kinds the host raises while it checks a request.
const (
	// ViolationMissing: a required parameter is absent.
	ViolationMissing = "missing"
	// ViolationEnum: not one of the allowed values.
	ViolationEnum = "enum"
	// ViolationPattern: the value does not match Pattern.
	ViolationPattern = "regex"
	// ViolationUUID: not a UUID.
	ViolationUUID = "uuid"
	// ViolationDate: not YYYY-MM-DD.
	ViolationDate = "date"
	// ViolationDateTime: not YYYY-MM-DD HH:MM:SS (or, where a bare date is
	// allowed, not that either).
	ViolationDateTime = "datetime"
	// ViolationIP: not an IP address.
	ViolationIP = "ip"
	// ViolationRequiredWhen: a RuleRequiredWhen is broken.
	ViolationRequiredWhen = "required_when"
	// ViolationTooLarge: the file is over the size limit (status 413).
	ViolationTooLarge = "too_large"
	// ViolationFilename: the file name is empty, too long, or not a plain
	// name (a path, a control character).
	ViolationFilename = "filename"
	// ViolationConflict: the value contradicts what is stored, e.g. a gate
	// other than the one the guid belongs to.
	ViolationConflict = "conflict"
	// ViolationMalformed: the request itself cannot be read: a broken
	// query string or multipart body.
	ViolationMalformed = "malformed"
)

// HostViolationKinds lists the kinds the host raises, each of which an
// ErrorFormat must render.
func HostViolationKinds() []string {
	return []string{
		ViolationMissing, ViolationEnum, ViolationPattern, ViolationUUID,
		ViolationDate, ViolationDateTime, ViolationIP, ViolationRequiredWhen,
		ViolationTooLarge, ViolationFilename, ViolationConflict, ViolationMalformed,
	}
}

// EnvelopeErrors is the FNS-style format: every message of the request in
// one list, beside the reason phrase:
//
//	{"errors": ["\"code\" string does not match regex \"^\\d{4}$\""], "status": "Bad Request"}
func EnvelopeErrors() ErrorFormat {
	envelope := Body{Template: `{"errors": {{json .Messages}}, "status": {{json .Reason}}}`}
	failure := Body{Template: `{"errors": [{{json .Message}}], "status": {{json .Reason}}}`}
	return ErrorFormat{
		Invalid:       envelope,
		Failure:       failure,
		ServerFailure: failure,
		Messages: map[string]Message{
			ViolationMissing:      {Text: `"{name}" is required`},
			ViolationEnum:         {Text: `"{name}" type must be one of this list: [{allowed}]`},
			ViolationPattern:      {Text: `"{name}" string does not match regex "{pattern}"`},
			ViolationUUID:         {Text: `"{name}" is not a valid uuid`},
			ViolationDate:         {Text: `"{name}" must match pattern "%Y-%m-%d"`},
			ViolationDateTime:     {Text: `"{name}" must match pattern "%Y-%m-%d %H:%M:%S"`},
			ViolationIP:           {Text: `"{name}" is not a valid IP address`},
			ViolationRequiredWhen: {Text: `"{name}" is required when "{other}" is "{value}"`},
			ViolationTooLarge:     {Text: `"{name}" is larger than the limit of {limit} bytes`},
			ViolationFilename:     {Text: `"{name}" must have a plain file name`},
			ViolationConflict:     {Text: `"{name}" {detail}`},
			ViolationMalformed:    {Text: `"{name}" {detail}`},
		},
	}
}

// PydanticErrors is the format of PFR and Rosstat, which is that of
// pydantic 1.x: a list with one object per violation, and a plain string
// for a 5xx:
//
//	[{"loc": ["guid"], "msg": "field required", "type": "value_error"}]
func PydanticErrors() ErrorFormat {
	return ErrorFormat{
		Invalid:       Body{Template: `{{array .Violations}}`},
		Violation:     `{"loc": {{json .Loc}}, "msg": {{json .Message}}, "type": {{json .Type}}}`,
		Failure:       Body{Template: `{"detail": {{json .Message}}}`},
		ServerFailure: Body{ContentType: "text/plain; charset=utf-8", Template: `{{.Message}}`},
		Messages: map[string]Message{
			ViolationMissing:      {Text: "field required", Type: "value_error"},
			ViolationEnum:         {Text: "value is not a valid enumeration member; permitted: {allowed}", Type: "type_error"},
			ViolationPattern:      {Text: `string does not match regex "{pattern}"`, Type: "value_error"},
			ViolationUUID:         {Text: "value is not a valid uuid", Type: "type_error"},
			ViolationDate:         {Text: "invalid date format", Type: "value_error"},
			ViolationDateTime:     {Text: "invalid datetime format", Type: "value_error"},
			ViolationIP:           {Text: "value is not a valid IPv4 or IPv6 address", Type: "value_error"},
			ViolationRequiredWhen: {Text: "field required", Type: "value_error"},
			ViolationTooLarge:     {Text: "value is larger than the limit of {limit} bytes", Type: "value_error"},
			ViolationFilename:     {Text: "file name must be a plain file name", Type: "value_error"},
			ViolationConflict:     {Text: "{detail}", Type: "value_error"},
			ViolationMalformed:    {Text: "{detail}", Type: "value_error"},
		},
	}
}
