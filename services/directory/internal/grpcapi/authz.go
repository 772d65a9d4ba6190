package grpcapi

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parindex/platform/services/kit/auth"
)

// access is what an RPC does to the directory, which decides who may call it.
type access int

const (
	// read RPCs are open to every authenticated caller: other services and every
	// portal user resolve units and heads.
	read access = iota
	// write RPCs change the directory, which the reform secretariat (Sở Nội vụ) keeps;
	// the platform's own loaders act with the service role.
	write
)

// writerRoles may change the directory.
var writerRoles = []string{auth.RoleSecretariat, auth.RoleService}

// authorize checks the caller of an RPC. Authentication happens in kit/grpcserver; the
// principal is checked again here so that no handler is ever reachable anonymously, even
// if the server is wired without the interceptor.
func authorize(ctx context.Context, a access) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return status.Error(codes.Unauthenticated, "Yêu cầu cần đăng nhập")
	}
	if a == write && !p.HasRole(writerRoles...) {
		return status.Error(codes.PermissionDenied, "Chỉ Sở Nội vụ (bộ phận thường trực cải cách hành chính) mới được thay đổi danh mục đơn vị, người đứng đầu và người dùng")
	}
	return nil
}
