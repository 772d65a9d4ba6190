// Package app holds the directory's use cases on one Service, and the ports (interfaces)
// they need from storage. Every change runs in one transaction together with the event
// that announces it (outbox), so other services never see a change without its event or
// an event without its change.
package app

import (
	"context"

	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/kit/vntime"
	"google.golang.org/protobuf/proto"
)

// Page asks for one page of a list.
type Page struct {
	// Size is the number of rows wanted, already defaulted and capped.
	Size int
	// Token is the next_page_token of the previous page; empty for the first page.
	Token string
}

// UnitFilter narrows ListUnits; zero fields do not filter.
type UnitFilter struct {
	ParentID, Level, Kind string
	// Query matches name, short name or code ignoring case, diacritics and spacing.
	Query string
	// IncludeDissolved keeps units whose valid_to is before Today.
	IncludeDissolved bool
	// Today is the local date that decides whether a unit is dissolved.
	Today vntime.Date
}

// UserFilter narrows ListUsers; zero fields do not filter.
type UserFilter struct {
	UnitID string
	Role   directory.Role
	// Query matches the display name ignoring case, diacritics and spacing.
	Query string
}

// Reader answers queries outside transactions. Single-row reads return the domain's
// not-found errors (directory.ErrUnitNotFound, ...); a bad page token is a
// directory.ValidationError on page_token.
type Reader interface {
	Unit(ctx context.Context, id string) (directory.Unit, error)
	UnitByCode(ctx context.Context, code string) (directory.Unit, error)
	// UnitsByID returns the units found, in no particular order.
	UnitsByID(ctx context.Context, ids []string) ([]directory.Unit, error)
	// ListUnits orders by level rank, then code.
	ListUnits(ctx context.Context, f UnitFilter, p Page) (units []directory.Unit, next string, err error)
	// Levels orders by rank, then code.
	Levels(ctx context.Context) ([]directory.Level, error)
	// Kinds orders by code.
	Kinds(ctx context.Context) ([]directory.Kind, error)
	// HeadTenures orders newest start first.
	HeadTenures(ctx context.Context, unitID string, p Page) (tenures []directory.HeadTenure, next string, err error)
	// TenuresOn returns the unit's tenures covering day d.
	TenuresOn(ctx context.Context, unitID string, d vntime.Date) ([]directory.HeadTenure, error)
	User(ctx context.Context, id string) (directory.User, error)
	// ListUsers orders by display name (Vietnamese collation), then id.
	ListUsers(ctx context.Context, f UserFilter, p Page) (users []directory.User, next string, err error)
}

// Tx is one transaction of a change: reads that lock what they return, writes, and Emit,
// which records an event to be published once the transaction commits.
type Tx interface {
	// LockUnit returns the unit and locks it until the end of the transaction; changes to
	// a unit and to its head tenures take this lock first so they run one after another.
	LockUnit(ctx context.Context, id string) (directory.Unit, error)
	// Level returns the level with code; ok is false when there is none.
	Level(ctx context.Context, code string) (l directory.Level, ok bool, err error)
	// KindExists reports whether a kind has code.
	KindExists(ctx context.Context, code string) (bool, error)
	// Ancestry returns the ids from unit id up to its root, id included.
	Ancestry(ctx context.Context, id string) ([]string, error)
	// ChildRanks returns the level ranks of the unit's children.
	ChildRanks(ctx context.Context, id string) ([]int, error)
	// InsertUnit stores a new unit and returns it with id and times; a taken code is
	// directory.ErrUnitCodeTaken.
	InsertUnit(ctx context.Context, u directory.Unit) (directory.Unit, error)
	// UpdateUnit stores every field of u but id and code.
	UpdateUnit(ctx context.Context, u directory.Unit) (directory.Unit, error)
	// InsertLevel stores a level; a taken code is directory.ErrLevelExists.
	InsertLevel(ctx context.Context, l directory.Level) (directory.Level, error)
	// InsertKind stores a kind; a taken code is directory.ErrKindExists.
	InsertKind(ctx context.Context, k directory.Kind) (directory.Kind, error)
	// UnitTenures returns all the unit's tenures.
	UnitTenures(ctx context.Context, unitID string) ([]directory.HeadTenure, error)
	// InsertTenure stores a new tenure; an overlap the database sees is
	// directory.ErrTenureOverlap.
	InsertTenure(ctx context.Context, t directory.HeadTenure) (directory.HeadTenure, error)
	// SetTenureEnd sets the last day of a tenure.
	SetTenureEnd(ctx context.Context, id string, end vntime.Date) (directory.HeadTenure, error)
	// LockUser returns the user and locks it until the end of the transaction.
	LockUser(ctx context.Context, id string) (directory.User, error)
	// UserExists reports whether a user has id.
	UserExists(ctx context.Context, id string) (bool, error)
	// InsertUser stores a new user; a taken subject is directory.ErrSubjectTaken.
	InsertUser(ctx context.Context, u directory.User) (directory.User, error)
	// UpdateUser stores every field of u but id and subject.
	UpdateUser(ctx context.Context, u directory.User) (directory.User, error)
	// Emit records event msg on subject in the transaction (outbox).
	Emit(ctx context.Context, subject string, msg proto.Message) error
}

// Store is the storage port of the Service.
type Store interface {
	Reader
	// InTx runs fn in one transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error
}

// Event subjects published by the directory (stream DIRECTORY).
const (
	SubjectUnitCreated  = "directory.v1.unit.created"
	SubjectUnitUpdated  = "directory.v1.unit.updated"
	SubjectHeadAssigned = "directory.v1.head.assigned"
	SubjectHeadEnded    = "directory.v1.head.ended"
	SubjectUserChanged  = "directory.v1.user.changed"
)
