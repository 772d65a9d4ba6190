package grpcapi

import (
	"fmt"

	"github.com/google/uuid"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/directory/internal/pbconv"
	"github.com/parindex/platform/services/kit/vntime"
)

// parseDate reads an ISO date field; empty is no date unless required.
func parseDate(v *directory.ValidationErrors, field, s string, required bool) vntime.Date {
	if s == "" {
		if required {
			*v = append(*v, directory.ValidationError{Field: field, Reason: "Ngày là bắt buộc (định dạng YYYY-MM-DD)"})
		}
		return vntime.Date{}
	}
	d, err := vntime.ParseISO(s)
	if err != nil {
		*v = append(*v, directory.ValidationError{Field: field, Reason: fmt.Sprintf("Ngày %q không hợp lệ (định dạng YYYY-MM-DD)", s)})
	}
	return d
}

// withDomainProblems merges transport problems (unreadable dates, bad ids) with the
// domain's own check of the same value, so one answer lists every problem.
func withDomainProblems(v directory.ValidationErrors, validate func() error) error {
	if len(v) == 0 {
		return nil
	}
	if more, ok := directory.AsValidation(validate()); ok {
		v = append(v, more...)
	}
	return v
}

// unitFromProto reads the unit of CreateUnit; id and times are ignored.
func unitFromProto(pb *directoryv1.Unit) (directory.Unit, error) {
	var v directory.ValidationErrors
	u := directory.Unit{
		Code: pb.GetCode(), Name: pb.GetName(), ShortName: pb.GetShortName(),
		Kind: pb.GetKind(), Level: pb.GetLevel(), ParentID: pb.GetParentId(),
	}
	u.ValidFrom = parseDate(&v, "valid_from", pb.GetValidFrom(), false)
	u.ValidTo = parseDate(&v, "valid_to", pb.GetValidTo(), false)
	return u, withDomainProblems(v, u.Validate)
}

// Paths of UpdateUnit's mask.
var (
	unitMutable   = map[string]bool{"name": true, "short_name": true, "kind": true, "level": true, "parent_id": true, "valid_from": true, "valid_to": true}
	unitImmutable = map[string]bool{"id": true, "code": true, "create_time": true, "update_time": true}
)

// unitPatchFromProto reads UpdateUnit: the unit id and a patch of the masked fields.
// Every bad path is reported at once.
func unitPatchFromProto(pb *directoryv1.Unit, paths []string) (string, directory.UnitPatch, error) {
	var v directory.ValidationErrors
	var p directory.UnitPatch
	if _, err := uuid.Parse(pb.GetId()); err != nil {
		v = append(v, directory.ValidationError{Field: "id", Reason: "Mã định danh đơn vị không hợp lệ"})
	}
	checkPaths(&v, paths, unitMutable, unitImmutable)
	for _, path := range paths {
		switch path {
		case "name":
			p.Name = ptr(pb.GetName())
		case "short_name":
			p.ShortName = ptr(pb.GetShortName())
		case "kind":
			p.Kind = ptr(pb.GetKind())
		case "level":
			p.Level = ptr(pb.GetLevel())
		case "parent_id":
			p.ParentID = ptr(pb.GetParentId())
		case "valid_from":
			p.ValidFrom = ptr(parseDate(&v, "valid_from", pb.GetValidFrom(), false))
		case "valid_to":
			p.ValidTo = ptr(parseDate(&v, "valid_to", pb.GetValidTo(), false))
		}
	}
	if len(v) > 0 {
		return "", directory.UnitPatch{}, v
	}
	return pb.GetId(), p, nil
}

// checkPaths reports mask paths that name no field, or a field that never changes.
func checkPaths(v *directory.ValidationErrors, paths []string, mutable, immutable map[string]bool) {
	if len(paths) == 0 {
		*v = append(*v, directory.ValidationError{Field: "update_mask", Reason: "Cần chỉ ra ít nhất một trường cần cập nhật"})
	}
	for _, path := range paths {
		switch {
		case mutable[path]:
		case immutable[path]:
			*v = append(*v, directory.ValidationError{Field: "update_mask", Reason: fmt.Sprintf("Trường %q không được thay đổi", path)})
		default:
			*v = append(*v, directory.ValidationError{Field: "update_mask", Reason: fmt.Sprintf("Trường %q không tồn tại hoặc không cập nhật được", path)})
		}
	}
}

// tenureFromProto reads AssignHead.
func tenureFromProto(req *directoryv1.AssignHeadRequest) (directory.HeadTenure, error) {
	var v directory.ValidationErrors
	t := directory.HeadTenure{
		UnitID: req.GetUnitId(), PersonName: req.GetPersonName(), Title: req.GetTitle(),
		Acting: req.GetActing(), UserID: req.GetUserId(), Note: req.GetNote(),
	}
	t.Start = parseDate(&v, "start_date", req.GetStartDate(), true)
	t.End = parseDate(&v, "end_date", req.GetEndDate(), false)
	return t, withDomainProblems(v, t.Validate)
}

// userRoles reads the roles of a user; unknown or unset values are field problems.
func userRoles(v *directory.ValidationErrors, pbRoles []directoryv1.Role) []directory.Role {
	roles := make([]directory.Role, 0, len(pbRoles))
	for _, r := range pbRoles {
		d, ok := pbconv.RoleFromProto(r)
		if !ok {
			*v = append(*v, directory.ValidationError{Field: "roles", Reason: fmt.Sprintf("Vai trò %v không hợp lệ", r)})
			continue
		}
		roles = append(roles, d)
	}
	return roles
}

// userFromProto reads the user of CreateUser; id, active and times are ignored.
func userFromProto(pb *directoryv1.User) (directory.User, error) {
	var v directory.ValidationErrors
	u := directory.User{
		Subject: pb.GetSubject(), DisplayName: pb.GetDisplayName(), Email: pb.GetEmail(), UnitID: pb.GetUnitId(),
	}
	u.Roles = userRoles(&v, pb.GetRoles())
	return u, withDomainProblems(v, u.Validate)
}

// Paths of UpdateUser's mask.
var (
	userMutable   = map[string]bool{"display_name": true, "email": true, "unit_id": true, "roles": true, "active": true}
	userImmutable = map[string]bool{"id": true, "subject": true, "create_time": true, "update_time": true}
)

// userPatchFromProto reads UpdateUser: the user id and a patch of the masked fields.
func userPatchFromProto(pb *directoryv1.User, paths []string) (string, directory.UserPatch, error) {
	var v directory.ValidationErrors
	var p directory.UserPatch
	if _, err := uuid.Parse(pb.GetId()); err != nil {
		v = append(v, directory.ValidationError{Field: "id", Reason: "Mã định danh người dùng không hợp lệ"})
	}
	checkPaths(&v, paths, userMutable, userImmutable)
	for _, path := range paths {
		switch path {
		case "display_name":
			p.DisplayName = ptr(pb.GetDisplayName())
		case "email":
			p.Email = ptr(pb.GetEmail())
		case "unit_id":
			p.UnitID = ptr(pb.GetUnitId())
		case "roles":
			p.Roles = ptr(userRoles(&v, pb.GetRoles()))
		case "active":
			p.Active = ptr(pb.GetActive())
		}
	}
	if len(v) > 0 {
		return "", directory.UserPatch{}, v
	}
	return pb.GetId(), p, nil
}

func ptr[T any](v T) *T { return &v }
