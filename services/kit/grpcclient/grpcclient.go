// Package grpcclient opens connections from one service to another.
package grpcclient

import (
	"fmt"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// Dial returns a client connection to target ("127.0.0.1:9101", "dns:///directory:9101")
// that traces every call (otelgrpc, so the trace continues in the callee) and attaches
// creds to every call — normally auth.PerRPCCredentials, which forwards the caller's token
// or sends the service's own. creds may be nil for unauthenticated targets.
//
// The transport is plain text: services talk over loopback in development and through the
// mesh's mTLS in a cluster. Like grpc.NewClient, Dial does not connect; the first call
// does. opts are appended (and may override) the defaults.
func Dial(target string, creds credentials.PerRPCCredentials, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	all := []grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
	}
	if creds != nil {
		all = append(all, grpc.WithPerRPCCredentials(creds))
	}
	all = append(all, opts...)
	conn, err := grpc.NewClient(target, all...)
	if err != nil {
		return nil, fmt.Errorf("grpcclient: %s: %w", target, err)
	}
	return conn, nil
}
