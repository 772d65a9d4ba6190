package directory

import (
	"fmt"
	"net/mail"
	"slices"
	"time"
)

// Role is what a user may do. The values are the role names carried in tokens.
type Role string

// The roles a directory user can hold. The `service` role of internal callers is not a
// user role: it is only ever minted for the services themselves.
const (
	RoleSecretariat  Role = "secretariat"
	RoleAppraiser    Role = "appraiser"
	RoleLeadership   Role = "leadership"
	RoleUnitHead     Role = "unit_head"
	RoleUnitStaff    Role = "unit_staff"
	RoleAgencySystem Role = "agency_system"
)

// Roles lists every user role.
var Roles = []Role{RoleSecretariat, RoleAppraiser, RoleLeadership, RoleUnitHead, RoleUnitStaff, RoleAgencySystem}

// Valid reports whether r is a known user role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

const (
	maxSubjectLen     = 200
	maxDisplayNameLen = 200
	maxRoles          = 10
)

// User is a person or system that signs in to the platform.
type User struct {
	// ID is assigned by the store.
	ID string
	// Subject is the `sub` of the user's tokens at the identity provider; unique.
	Subject string
	// DisplayName is the name people read, NFC.
	DisplayName string
	// Email receives notifications; may be empty.
	Email string
	// UnitID is the unit the user works for.
	UnitID string
	// Roles held; at least one.
	Roles []Role
	// Active is false once the user is deactivated.
	Active bool
	// CreateTime and UpdateTime are set by the store.
	CreateTime, UpdateTime time.Time
}

// Validate reports every problem of the user's fields at once.
func (u User) Validate() error {
	var v ValidationErrors
	switch {
	case u.Subject == "":
		v.Add("subject", "Tài khoản (subject) là bắt buộc")
	case len(u.Subject) > maxSubjectLen:
		v.Add("subject", fmt.Sprintf("Tài khoản (subject) dài tối đa %d ký tự", maxSubjectLen))
	}
	checkName(&v, "display_name", u.DisplayName, maxDisplayNameLen, "Tên hiển thị")
	if u.Email != "" {
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			v.Add("email", "Địa chỉ thư điện tử không hợp lệ")
		}
	}
	if u.UnitID == "" {
		v.Add("unit_id", "Đơn vị công tác là bắt buộc")
	}
	switch {
	case len(u.Roles) == 0:
		v.Add("roles", "Người dùng cần ít nhất một vai trò")
	case len(u.Roles) > maxRoles:
		v.Add("roles", fmt.Sprintf("Tối đa %d vai trò", maxRoles))
	default:
		seen := make(map[Role]bool, len(u.Roles))
		for _, r := range u.Roles {
			if !r.Valid() {
				v.Add("roles", fmt.Sprintf("Vai trò %q không hợp lệ", r))
				break
			}
			if seen[r] {
				v.Add("roles", fmt.Sprintf("Vai trò %q bị lặp", r))
				break
			}
			seen[r] = true
		}
	}
	return v.Err()
}

// UserPatch holds the fields an update changes; nil means "keep". The subject is not here:
// it ties the user to the identity provider.
type UserPatch struct {
	DisplayName, Email, UnitID *string
	Roles                      *[]Role
	Active                     *bool
}

// Empty reports whether the patch changes nothing.
func (p UserPatch) Empty() bool {
	return p.DisplayName == nil && p.Email == nil && p.UnitID == nil && p.Roles == nil && p.Active == nil
}

// Apply returns the user with the patch applied.
func (u User) Apply(p UserPatch) User {
	set(&u.DisplayName, p.DisplayName)
	set(&u.Email, p.Email)
	set(&u.UnitID, p.UnitID)
	if p.Roles != nil {
		u.Roles = slices.Clone(*p.Roles)
	}
	set(&u.Active, p.Active)
	return u
}
