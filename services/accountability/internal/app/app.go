// Package app holds the accountability use cases on one Service, with the ports they
// need: storage, and the directory that knows which units exist. Authorisation is the
// gRPC layer's; invariants are the domain's.
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/parindex/platform/services/accountability/internal/responsibility"
)

// ErrDirectoryUnavailable means the directory could not be asked, so units could not be
// checked; the caller may retry.
var ErrDirectoryUnavailable = errors.New("danh bạ đơn vị tạm thời không trả lời, vui lòng thử lại")

// Store persists responsibility matrices. Writes record their events in the same
// transaction.
type Store interface {
	// PutMatrix replaces the matrix of m's province and year and records
	// ResponsibilityMatrixChanged with it.
	PutMatrix(ctx context.Context, m responsibility.Matrix) error
	// Matrix returns the matrix of a province and year, or responsibility.ErrNotFound.
	Matrix(ctx context.Context, provinceUnitID string, year int) (responsibility.Matrix, error)
}

// Directory tells which units exist. Implementations call the directory service on behalf
// of the caller, and wrap ErrDirectoryUnavailable when it cannot be reached.
type Directory interface {
	// MissingUnits returns those of ids (distinct, well-formed) that name no unit.
	MissingUnits(ctx context.Context, ids []string) ([]string, error)
	// UnitIDByCode returns the id of the unit with a directory code, or ErrUnknownUnit.
	UnitIDByCode(ctx context.Context, code string) (string, error)
	// UnitCode returns the directory code of a unit, or ErrUnknownUnit.
	UnitCode(ctx context.Context, id string) (string, error)
}

// ErrUnknownUnit means the directory has no unit with the id or code asked about.
var ErrUnknownUnit = errors.New("không có đơn vị này trong danh bạ")

// Service runs the accountability use cases.
type Service struct {
	store Store
	dir   Directory
	now   func() time.Time
}

// New returns a Service. now is the clock (nil means time.Now), replaceable so tests can
// pin update times.
func New(store Store, dir Directory, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, dir: dir, now: now}
}

// PutResponsibilityMatrix replaces the matrix of a province and year. The matrix is
// checked in two steps: its own rules first (responsibility.NewMatrix), then, when it is
// well formed, that every unit it names exists, in one directory call. Either step fails
// with responsibility.ValidationErrors naming each offending field.
func (s *Service) PutResponsibilityMatrix(ctx context.Context, draft responsibility.Matrix) (responsibility.Matrix, error) {
	m, err := responsibility.NewMatrix(draft)
	if err != nil {
		return responsibility.Matrix{}, fmt.Errorf("put responsibility matrix: %w", err)
	}
	missing, err := s.dir.MissingUnits(ctx, m.UnitIDs())
	if err != nil {
		return responsibility.Matrix{}, fmt.Errorf("put responsibility matrix %s/%d: check units: %w", m.ProvinceUnitID, m.Year, err)
	}
	if len(missing) > 0 {
		gone := make(map[string]bool, len(missing))
		for _, id := range missing {
			gone[strings.ToLower(id)] = true
		}
		if err := m.CheckUnitsExist(func(id string) bool { return !gone[id] }); err != nil {
			return responsibility.Matrix{}, fmt.Errorf("put responsibility matrix %s/%d: %w", m.ProvinceUnitID, m.Year, err)
		}
	}
	// PostgreSQL keeps microseconds: the returned time is the one read back later.
	m.UpdateTime = s.now().UTC().Truncate(time.Microsecond)
	if err := s.store.PutMatrix(ctx, m); err != nil {
		return responsibility.Matrix{}, fmt.Errorf("put responsibility matrix %s/%d: %w", m.ProvinceUnitID, m.Year, err)
	}
	return m, nil
}

// GetResponsibilityMatrix returns the matrix of a province and year, or
// responsibility.ErrNotFound.
func (s *Service) GetResponsibilityMatrix(ctx context.Context, provinceUnitID string, year int) (responsibility.Matrix, error) {
	id, err := uuid.Parse(strings.TrimSpace(provinceUnitID))
	if err != nil {
		// No matrix can belong to this id; the store would only fail on the cast.
		return responsibility.Matrix{}, fmt.Errorf("get responsibility matrix %q/%d: %w", provinceUnitID, year, responsibility.ErrNotFound)
	}
	m, err := s.store.Matrix(ctx, id.String(), year)
	if err != nil {
		return responsibility.Matrix{}, fmt.Errorf("get responsibility matrix %s/%d: %w", provinceUnitID, year, err)
	}
	return m, nil
}
