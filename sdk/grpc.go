package sdk

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/reportgate/reportgate/sdk/internal/pluginpb"
)

// GRPCPlugin adapts a Direction to go-plugin's gRPC transport. The plugin
// side serves Impl; the host side gets a Direction from GRPCClient.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is the direction served; the host leaves it nil.
	Impl Direction
}

// GRPCServer registers the direction's gRPC service.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pluginpb.RegisterDirectionServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient returns the host's handle on the plugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &grpcClient{client: pluginpb.NewDirectionClient(c)}, nil
}

type grpcServer struct {
	pluginpb.UnimplementedDirectionServer
	impl Direction
}

// recoverAsError turns a panic in plugin code into a gRPC error for the
// one call, so a faulty hook fails its request instead of its direction.
// It is done in the service rather than as an interceptor so that the
// test harness, which builds go-plugin's default server, recovers too.
func recoverAsError(method string, err *error) {
	if r := recover(); r != nil {
		*err = status.Errorf(codes.Internal, "%s panicked: %v", method, r)
	}
}

func (s *grpcServer) Manifest(ctx context.Context, _ *pluginpb.ManifestRequest) (resp *pluginpb.ManifestResponse, err error) {
	defer recoverAsError("Manifest", &err)
	m, err := s.impl.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "encode manifest: %v", err)
	}
	return &pluginpb.ManifestResponse{ManifestJson: body}, nil
}

func (s *grpcServer) PrepareUpload(ctx context.Context, req *pluginpb.PrepareUploadRequest) (resp *pluginpb.PrepareUploadResponse, err error) {
	defer recoverAsError("PrepareUpload", &err)
	res, err := s.impl.PrepareUpload(ctx, UploadRequest{
		Operation: OperationKind(req.GetOperation()),
		Filename:  req.GetFilename(),
		Fields:    req.GetFields(),
		Size:      req.GetSize(),
		SHA256:    req.GetSha256(),
	})
	if err != nil {
		return nil, err
	}
	out := &pluginpb.PrepareUploadResponse{Fields: res.Fields}
	for _, v := range res.Violations {
		out.Violations = append(out.Violations, &pluginpb.Violation{
			Param: v.Param, Kind: v.Kind, Args: v.Args, Message: v.Message,
		})
	}
	return out, nil
}

type grpcClient struct {
	client pluginpb.DirectionClient
}

func (c *grpcClient) Manifest(ctx context.Context) (Manifest, error) {
	resp, err := c.client.Manifest(ctx, &pluginpb.ManifestRequest{})
	if err != nil {
		return Manifest{}, fmt.Errorf("call Manifest: %w", err)
	}
	return DecodeManifest(resp.GetManifestJson())
}

func (c *grpcClient) PrepareUpload(ctx context.Context, req UploadRequest) (UploadResult, error) {
	resp, err := c.client.PrepareUpload(ctx, &pluginpb.PrepareUploadRequest{
		Operation: string(req.Operation),
		Filename:  req.Filename,
		Fields:    req.Fields,
		Size:      req.Size,
		Sha256:    req.SHA256,
	})
	if err != nil {
		return UploadResult{}, fmt.Errorf("call PrepareUpload: %w", err)
	}
	res := UploadResult{Fields: resp.GetFields()}
	for _, v := range resp.GetViolations() {
		res.Violations = append(res.Violations, Violation{
			Param: v.GetParam(), Kind: v.GetKind(), Args: v.GetArgs(), Message: v.GetMessage(),
		})
	}
	return res, nil
}
