package sdk

import "context"

// Direction is the plugin's side of the protocol. Plugin implements it for
// authors; the host holds the same interface over gRPC.
type Direction interface {
	// Manifest returns the direction's declaration.
	Manifest(ctx context.Context) (Manifest, error)
	// PrepareUpload derives a package's fields before the host stores it.
	PrepareUpload(ctx context.Context, req UploadRequest) (UploadResult, error)
}

// UploadRequest is what the host hands the upload hook: the request's
// validated parameters and the stored file's name, size and digest. The
// bytes themselves never cross the process boundary.
//
// When the host has already refused some parameters, it still calls the
// hook with the values that passed, so that the hook's violations are
// reported together with the host's; the Fields of that answer are
// ignored.
type UploadRequest struct {
	// Operation is OpUpload, OpDeliver or OpPublish.
	Operation OperationKind
	// Filename is the file name the client sent, already checked to be a
	// plain name.
	Filename string
	// Fields are the bound parameter values, normalised, by field name.
	Fields map[string]string
	// Size is the file's length in bytes.
	Size int64
	// SHA256 is the file's digest, lower-case hex.
	SHA256 string
}

// UploadResult is the hook's answer.
type UploadResult struct {
	// Fields sets package fields: common ones such as guid or code, and
	// declared attributes. Values set here override the parameters.
	Fields map[string]string
	// Violations refuse the upload; they are rendered in the direction's
	// error format with status 400.
	Violations []Violation
}

// Violation is one reason to refuse a request.
type Violation struct {
	// Param is the parameter at fault, e.g. "file".
	Param string
	// Kind selects the message in ErrorFormat.Messages.
	Kind string
	// Args fill the message's placeholders beyond the standard ones.
	Args map[string]string
	// Message is used when the error format has no message for Kind.
	Message string
}

// Plugin is a direction built from a manifest and an optional hook; pass
// it to Serve.
type Plugin struct {
	// Declaration is the direction's manifest.
	Declaration Manifest
	// Hook, when set, runs for the operations whose Hook flag is set.
	Hook func(ctx context.Context, req UploadRequest) (UploadResult, error)
}

// Manifest returns the declaration, stamped with the protocol version.
func (p *Plugin) Manifest(context.Context) (Manifest, error) {
	m := p.Declaration
	m.Protocol = ProtocolVersion
	return m, nil
}

// PrepareUpload runs the hook; without one it changes nothing.
func (p *Plugin) PrepareUpload(ctx context.Context, req UploadRequest) (UploadResult, error) {
	if p.Hook == nil {
		return UploadResult{}, nil
	}
	return p.Hook(ctx, req)
}
