// Package auth authenticates callers: JWT verification (keys from a JWKS URL or a local
// public key), the Principal it yields, gRPC interceptors and HTTP middleware that require
// it, per-RPC credentials that forward it, and a Signer that mints tokens for development
// and tests.
//
// Authentication only: deciding what a principal may do is each service's business
// (internal/grpcapi), using Principal.HasRole and the unit it belongs to.
package auth

import (
	"context"
	"slices"
)

// Roles carried in the "roles" claim.
const (
	// RoleSecretariat is the provincial PAR secretariat (Sở Nội vụ) that runs the index.
	RoleSecretariat = "secretariat"
	// RoleAppraiser is a member of the appraisal council that reviews self-assessments.
	RoleAppraiser = "appraiser"
	// RoleLeadership is provincial leadership, reading results and accountability.
	RoleLeadership = "leadership"
	// RoleUnitHead is the head of an assessed unit, who signs its submissions.
	RoleUnitHead = "unit_head"
	// RoleUnitStaff is staff of an assessed unit preparing its submissions.
	RoleUnitStaff = "unit_staff"
	// RoleAgencySystem is an agency's own software pushing data through the API.
	RoleAgencySystem = "agency_system"
	// RoleService is one of the platform's services acting on its own behalf.
	RoleService = "service"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	// Subject is the token's "sub": the identity provider's id for the caller.
	Subject string
	// UserID is the directory's user id ("uid"); empty for systems and services.
	UserID string
	// UnitID is the unit the caller belongs to ("unit_id"); empty for province-wide roles.
	UnitID string
	// Name is the display name ("name"), for audit trails.
	Name string
	// Roles are the caller's roles ("roles"), see the Role constants.
	Roles []string
}

// HasRole reports whether p has at least one of roles.
func (p Principal) HasRole(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

type principalKey struct{}

type tokenKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of the request ctx belongs to, if it was
// authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithToken returns ctx carrying the raw bearer token the request was authenticated with,
// so calls made on its behalf can forward it (see PerRPCCredentials).
func WithToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, tokenKey{}, token)
}

// TokenFromContext returns the raw bearer token stored by WithToken.
func TokenFromContext(ctx context.Context) (string, bool) {
	t, ok := ctx.Value(tokenKey{}).(string)
	return t, ok && t != ""
}
