package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/tasktracking/internal/importer"
	"github.com/parindex/platform/services/tasktracking/internal/tracking"
)

// TargetStore keeps targets and measurements. postgres.Store implements it.
type TargetStore interface {
	// CreateTarget stores a target (tracking.ErrTargetCodeTaken, tracking.ErrDocumentNotFound).
	CreateTarget(ctx context.Context, t tracking.Target) error
	// Target returns a target, or tracking.ErrTargetNotFound.
	Target(ctx context.Context, id string) (tracking.Target, error)
	// ListTargets returns a document's targets (all for ""), applying in year (0: any).
	ListTargets(ctx context.Context, documentID string, year int) ([]tracking.Target, error)
	// RecordMeasurement stores a measurement.
	RecordMeasurement(ctx context.Context, m tracking.Measurement) error
	// LatestMeasurements returns each unit's latest measurement of a target for a year.
	LatestMeasurements(ctx context.Context, targetID string, year int) ([]tracking.Measurement, error)
	// Document returns a document (its issuer places a tier scope), or
	// tracking.ErrDocumentNotFound.
	Document(ctx context.Context, id string) (tracking.Document, error)
}

// Targets runs the use cases of targets (chỉ tiêu).
type Targets struct {
	store TargetStore
	dir   Directory
	now   func() time.Time
	newID func() string
}

// NewTargets returns the targets use cases; dir resolves the units of scopes.
func NewTargets(store TargetStore, dir Directory, now func() time.Time, newID func() string) *Targets {
	return &Targets{store: store, dir: dir, now: now, newID: newID}
}

// CreateTarget sets a target of a document. Named units must exist in the directory.
func (s *Targets) CreateTarget(ctx context.Context, draft tracking.Target) (tracking.Target, error) {
	t, err := tracking.NewTarget(draft, s.now().Truncate(time.Microsecond), s.newID)
	if err != nil {
		return tracking.Target{}, err
	}
	if len(t.ScopeUnitIDs) > 0 {
		missing, err := s.dir.MissingUnits(ctx, t.ScopeUnitIDs)
		if err != nil {
			return tracking.Target{}, fmt.Errorf("create target %q: check units: %w", t.Code, err)
		}
		var v tracking.ValidationErrors
		for i, id := range t.ScopeUnitIDs {
			if slices.Contains(missing, id) {
				v.Add(fmt.Sprintf("scope_unit_ids[%d]", i), "Đơn vị không có trong danh mục đơn vị")
			}
		}
		if err := v.Err(); err != nil {
			return tracking.Target{}, err
		}
	}
	if err := s.store.CreateTarget(ctx, t); err != nil {
		return tracking.Target{}, fmt.Errorf("create target %q of document %s: %w", t.Code, t.DocumentID, err)
	}
	return t, nil
}

// ListTargets returns the targets of a document (all for ""), applying in year (0: any).
func (s *Targets) ListTargets(ctx context.Context, documentID string, year int) ([]tracking.Target, error) {
	ts, err := s.store.ListTargets(ctx, documentID, year)
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	return ts, nil
}

// RecordMeasurement records a unit's value of a target for a year, by recordedBy, and says
// whether it achieves the target. The unit must be in the target's scope.
func (s *Targets) RecordMeasurement(ctx context.Context, m tracking.Measurement) (tracking.Measurement, bool, error) {
	t, err := s.store.Target(ctx, m.TargetID)
	if err != nil {
		return tracking.Measurement{}, false, fmt.Errorf("record measurement: %w", err)
	}
	all, units, err := s.units(ctx, t)
	if err != nil {
		return tracking.Measurement{}, false, err
	}
	if _, ok := all[m.UnitID]; !ok {
		return tracking.Measurement{}, false, tracking.ValidationErrors{{Field: "unit_id", Reason: "Đơn vị không có trong danh mục đơn vị"}}
	}
	// A unit of another province has no kind here: it is outside every tier scope.
	m, err = tracking.NewMeasurement(t, m, units[m.UnitID].Kind, s.now().Truncate(time.Microsecond), s.newID)
	if err != nil {
		return tracking.Measurement{}, false, err
	}
	if err := s.store.RecordMeasurement(ctx, m); err != nil {
		return tracking.Measurement{}, false, fmt.Errorf("record measurement of target %s: %w", t.ID, err)
	}
	return m, t.Achieved(m.Value), nil
}

// units returns the directory's units by id: all of them, and those of the province of
// t's document's issuer, which a tier scope ("every district", "every commune") is drawn
// from: a target of Tuyên Quang's plan binds Tuyên Quang's districts, not another
// province's (named units are named, wherever they are).
func (s *Targets) units(ctx context.Context, t tracking.Target) (all, province map[string]Unit, err error) {
	list, err := s.dir.Units(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list units: %w", err)
	}
	all = make(map[string]Unit, len(list))
	for _, u := range list {
		all[u.ID] = u
	}
	d, err := s.store.Document(ctx, t.DocumentID)
	if err != nil {
		return nil, nil, fmt.Errorf("document of target %s: %w", t.ID, err)
	}
	_, scope := importer.ForIssuer(importerUnits(list), issuerID(list, d.IssuerUnitID))
	province = make(map[string]Unit, len(scope.Units()))
	for _, u := range scope.Units() {
		province[u.ID] = all[u.ID]
	}
	return all, province, nil
}

// Achievement is one unit's standing against a target in a year.
type Achievement struct {
	UnitID, UnitName string
	// Measurement is the latest; nil when the unit reported none.
	Measurement *tracking.Measurement
	Achieved    bool
	// Gap is the measured value minus the target value.
	Gap float64
}

// AchievementReport is where every unit in a target's scope stands in a year.
type AchievementReport struct {
	Target                         tracking.Target
	Year                           int
	Achievements                   []Achievement
	InScope, Measured, AchievedNum int
}

// Achievements lists every unit in the target's scope (named units, or the directory's
// units of its tier in the issuer's province) with its latest measurement of year (0: the target's last year).
func (s *Targets) Achievements(ctx context.Context, targetID string, year int) (AchievementReport, error) {
	t, err := s.store.Target(ctx, targetID)
	if err != nil {
		return AchievementReport{}, fmt.Errorf("achievements: %w", err)
	}
	if year == 0 {
		year = t.EndYear
	}
	all, units, err := s.units(ctx, t)
	if err != nil {
		return AchievementReport{}, err
	}
	ms, err := s.store.LatestMeasurements(ctx, t.ID, year)
	if err != nil {
		return AchievementReport{}, fmt.Errorf("achievements of target %s: %w", t.ID, err)
	}
	latest := make(map[string]tracking.Measurement, len(ms))
	for _, m := range ms {
		latest[m.UnitID] = m
	}
	rep := AchievementReport{Target: t, Year: year}
	add := func(id string) {
		a := Achievement{UnitID: id, UnitName: cmp.Or(all[id].Name, id)}
		if m, ok := latest[id]; ok {
			a.Measurement, a.Achieved, a.Gap = &m, t.Achieved(m.Value), m.Value-t.Value
			rep.Measured++
			if a.Achieved {
				rep.AchievedNum++
			}
		}
		rep.Achievements = append(rep.Achievements, a)
	}
	if t.Scope == tracking.ScopeNamed {
		for _, id := range t.ScopeUnitIDs {
			add(id)
		}
	} else {
		for id, u := range units {
			if t.InScope(id, u.Kind) {
				add(id)
			}
		}
	}
	rep.InScope = len(rep.Achievements)
	slices.SortFunc(rep.Achievements, func(a, b Achievement) int {
		return cmp.Or(cmp.Compare(vntext.Fold(a.UnitName), vntext.Fold(b.UnitName)), cmp.Compare(a.UnitID, b.UnitID))
	})
	return rep, nil
}
