// Package pbconv turns domain values into the directory contract's messages. Both the gRPC
// API (responses) and the use cases (event payloads) speak the contract, so the mapping
// lives here once.
package pbconv

import (
	"time"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/kit/vntime"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Unit returns the contract form of u.
func Unit(u directory.Unit) *directoryv1.Unit {
	return &directoryv1.Unit{
		Id:         u.ID,
		Code:       u.Code,
		Name:       u.Name,
		ShortName:  u.ShortName,
		Kind:       u.Kind,
		Level:      u.Level,
		ParentId:   u.ParentID,
		ValidFrom:  Date(u.ValidFrom),
		ValidTo:    Date(u.ValidTo),
		CreateTime: Time(u.CreateTime),
		UpdateTime: Time(u.UpdateTime),
	}
}

// Level returns the contract form of l.
func Level(l directory.Level) *directoryv1.UnitLevel {
	return &directoryv1.UnitLevel{Code: l.Code, Name: l.Name, Rank: int32(l.Rank)} // #nosec G115 -- a level rank is a small position in the unit tree
}

// Kind returns the contract form of k.
func Kind(k directory.Kind) *directoryv1.UnitKind {
	return &directoryv1.UnitKind{Code: k.Code, Name: k.Name}
}

// Tenure returns the contract form of t; nil stays nil so optional fields stay unset.
func Tenure(t *directory.HeadTenure) *directoryv1.HeadTenure {
	if t == nil {
		return nil
	}
	return &directoryv1.HeadTenure{
		Id:         t.ID,
		UnitId:     t.UnitID,
		PersonName: t.PersonName,
		Title:      t.Title,
		Acting:     t.Acting,
		StartDate:  Date(t.Start),
		EndDate:    Date(t.End),
		UserId:     t.UserID,
		Note:       t.Note,
		CreateTime: Time(t.CreateTime),
	}
}

// User returns the contract form of u.
func User(u directory.User) *directoryv1.User {
	roles := make([]directoryv1.Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		roles = append(roles, Role(r))
	}
	return &directoryv1.User{
		Id:          u.ID,
		Subject:     u.Subject,
		DisplayName: u.DisplayName,
		Email:       u.Email,
		UnitId:      u.UnitID,
		Roles:       roles,
		Active:      u.Active,
		CreateTime:  Time(u.CreateTime),
		UpdateTime:  Time(u.UpdateTime),
	}
}

// roles pairs the contract's enum with the role names carried in tokens.
var roles = map[directoryv1.Role]directory.Role{
	directoryv1.Role_ROLE_SECRETARIAT:   directory.RoleSecretariat,
	directoryv1.Role_ROLE_APPRAISER:     directory.RoleAppraiser,
	directoryv1.Role_ROLE_LEADERSHIP:    directory.RoleLeadership,
	directoryv1.Role_ROLE_UNIT_HEAD:     directory.RoleUnitHead,
	directoryv1.Role_ROLE_UNIT_STAFF:    directory.RoleUnitStaff,
	directoryv1.Role_ROLE_AGENCY_SYSTEM: directory.RoleAgencySystem,
}

// Role returns the enum value of r; ROLE_UNSPECIFIED for a name the contract lacks.
func Role(r directory.Role) directoryv1.Role {
	for pb, d := range roles {
		if d == r {
			return pb
		}
	}
	return directoryv1.Role_ROLE_UNSPECIFIED
}

// RoleFromProto returns the domain role of r and whether r names one.
func RoleFromProto(r directoryv1.Role) (directory.Role, bool) {
	d, ok := roles[r]
	return d, ok
}

// Date returns the ISO form of d, or "" for no date.
func Date(d vntime.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.ISO()
}

// Time returns t as a timestamp, or nil for the zero time.
func Time(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
