package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// unitFacts is what the directory said about the units a use case decides on: each unit's
// parent (for the district above a commune, Art. 17.2, 19.2) and root (its province, Art.
// 4), and the head of a unit on one date. It is read before the use case's transaction
// opens, in bulk: a slow directory must never hold a PostgreSQL transaction, and the pooled
// connection under it, open.
type unitFacts struct {
	parent   map[string]string // unit id → parent id, "" for a root
	missing  map[string]bool   // ids the directory does not know
	headDate string            // ISO local date heads are asked for when a use case names none
	heads    map[string]Head   // headKey(unit, date) → who answered for the unit that day
	// asked is set once the directory has been asked: a unit met unresolved after that
	// arrived while the facts were being gathered.
	asked bool
}

func newUnitFacts(headDate string) *unitFacts {
	return &unitFacts{parent: map[string]string{}, missing: map[string]bool{}, headDate: headDate, heads: map[string]Head{}}
}

// unresolvedError is returned from inside a transaction that met units (or heads) the
// facts do not cover yet — rows committed between the resolution and the transaction, or
// the first run that finds out which units it needs. The transaction rolls back; withFacts
// asks the directory and runs it again.
type unresolvedError struct {
	units []string
	heads []string
}

func (e *unresolvedError) Error() string {
	return fmt.Sprintf("%d units and %d heads not resolved from the directory before the transaction", len(e.units), len(e.heads))
}

// Unwrap makes a transaction that never settles (results arriving faster than it runs) an
// ErrDirectoryUnavailable: the caller may retry.
func (e *unresolvedError) Unwrap() error { return ErrDirectoryUnavailable }

// maxTreeDepth bounds the walk up the unit tree; a province's tree is three levels deep (two
// since 2025), so a longer chain is a cycle in the data.
const maxTreeDepth = 10

// maxFactAttempts bounds how often withFacts re-runs a transaction that met unresolved
// units: the first run finds the units, the second the heads, the rest absorb rows that
// arrive concurrently.
const maxFactAttempts = 5

// lacking returns those of ids the facts do not cover (neither resolved nor known missing).
func (f *unitFacts) lacking(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if _, ok := f.parent[id]; !ok && !f.missing[id] && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// settle checks that the facts cover must (units that must be known, e.g. those of stored
// evaluations, which decide what is replaced or final) and units (published results), and
// returns the results to act on. Before the directory was first asked, everything lacking is
// reported. After, a result still lacking was published while the facts were being
// gathered: a use case acting on "every unit with a published index" leaves it out, as if it
// had run just before it arrived (the next run includes it), instead of running again for
// every result the consumer commits meanwhile.
func (f *unitFacts) settle(must []string, units []UnitIndex) ([]UnitIndex, error) {
	var ids []string
	for _, u := range units {
		ids = append(ids, u.UnitID)
	}
	if lacking := f.lacking(append(slices.Clone(must), ids...)...); len(lacking) > 0 && !f.asked {
		return nil, &unresolvedError{units: lacking}
	}
	if lacking := f.lacking(must...); len(lacking) > 0 {
		return nil, &unresolvedError{units: lacking}
	}
	late := f.lacking(ids...)
	if len(late) == 0 {
		return units, nil
	}
	var out []UnitIndex
	for _, u := range units {
		if !slices.Contains(late, u.UnitID) {
			out = append(out, u)
		}
	}
	return out, nil
}

// headKey names a unit's head on a date in unitFacts.heads and unresolvedError.heads.
func headKey(unit, date string) string { return unit + "@" + date }

// lackingHeads returns the keys of those of ids whose head on the facts' date was not asked for.
func (f *unitFacts) lackingHeads(ids ...string) []string {
	var out []string
	for _, id := range ids {
		k := headKey(id, f.headDate)
		if _, ok := f.heads[k]; !ok && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// head returns who answered for the unit on the facts' date.
func (f *unitFacts) head(unit string) Head { return f.heads[headKey(unit, f.headDate)] }

// parentOf returns the unit's parent ("" for a root), or ErrUnknownUnit.
func (f *unitFacts) parentOf(id string) (string, error) {
	if f.missing[id] {
		return "", fmt.Errorf("unit %s: %w", id, ErrUnknownUnit)
	}
	p, ok := f.parent[id]
	if !ok {
		return "", &unresolvedError{units: []string{id}}
	}
	return p, nil
}

// provinceOf returns the root of the unit's branch (a province is its own), or
// ErrUnknownUnit when the unit or one above it is not in the directory.
func (f *unitFacts) provinceOf(id string) (string, error) {
	for range maxTreeDepth {
		p, err := f.parentOf(id)
		if err != nil {
			return "", err
		}
		if p == "" {
			return id, nil
		}
		id = p
	}
	return "", fmt.Errorf("directory: unit %s is more than %d levels below a root", id, maxTreeDepth)
}

// resolve asks the directory about ids and, level by level, their ancestors: one batch
// call per level of the tree, however many units.
func (s *Explanations) resolve(ctx context.Context, f *unitFacts, ids []string) error {
	f.asked = true
	next := f.lacking(ids...)
	for depth := 0; len(next) > 0; depth++ {
		if depth == maxTreeDepth {
			return fmt.Errorf("directory: units %v are more than %d levels below a root", next, maxTreeDepth)
		}
		parents, missing, err := s.heads.Parents(ctx, next)
		if err != nil {
			return fmt.Errorf("parents of %d units: %w", len(next), err)
		}
		for _, id := range missing {
			f.missing[strings.ToLower(id)] = true
		}
		var up []string
		for _, id := range next {
			p, ok := parents[id]
			if !ok {
				f.missing[id] = true // neither found nor reported missing: nobody can be named
				continue
			}
			f.parent[id] = p
			if p != "" {
				up = append(up, p)
			}
		}
		next = f.lacking(up...)
	}
	return nil
}

// resolveHeads asks the directory who answered for each unit on each date (keys of
// headKey; Art. 2.4: the acting head counts). A unit the directory does not know has no
// head to name.
func (s *Explanations) resolveHeads(ctx context.Context, f *unitFacts, keys []string) error {
	for _, k := range keys {
		if _, ok := f.heads[k]; ok {
			continue
		}
		unit, date, _ := strings.Cut(k, "@")
		h, err := s.heads.HeadOnDate(ctx, unit, date)
		if err != nil && !errors.Is(err, ErrUnknownUnit) {
			return fmt.Errorf("head of %s on %s: %w", unit, date, err)
		}
		f.heads[k] = h
	}
	return nil
}

// triggerLookup answers the directory questions of the explanation triggers (Art. 14.1,
// 15.7): which province a unit is of, and who headed it on the day of publication.
type triggerLookup interface {
	provinceOf(ctx context.Context, unit string) (string, error)
	headOn(ctx context.Context, unit, date string) (Head, error)
	// dry says the run only finds out what it needs: it opens no request.
	dry() bool
}

// factLookup answers from facts gathered before the transaction. A dry run notes what they
// lack, answered as unknown (no province, no head), so that one run finds all it lacks and
// opens nothing (the audit record rides on the first event a call writes, which must be in
// the transaction that commits); err then reports it, the transaction rolls back and
// withFacts runs it again on complete facts.
type factLookup struct {
	f     *unitFacts
	need  unresolvedError
	isDry bool
}

func (l *factLookup) dry() bool { return l.isDry }

func (l *factLookup) provinceOf(_ context.Context, unit string) (string, error) {
	p, err := l.f.provinceOf(unit)
	var u *unresolvedError
	if errors.As(err, &u) {
		l.need.units = append(l.need.units, u.units...)
		return "", fmt.Errorf("unit %s not resolved yet: %w", unit, ErrUnknownUnit)
	}
	return p, err
}

func (l *factLookup) headOn(_ context.Context, unit, date string) (Head, error) {
	h, ok := l.f.heads[headKey(unit, date)]
	if !ok {
		l.need.heads = append(l.need.heads, headKey(unit, date))
	}
	return h, nil
}

// err is the unresolvedError of what the run lacked, or nil.
func (l *factLookup) err() error {
	if len(l.need.units) == 0 && len(l.need.heads) == 0 {
		return nil
	}
	return &unresolvedError{units: l.need.units, heads: l.need.heads}
}

// withFacts runs fn, a use case whose transaction needs directory facts, with the facts
// resolved before it: when fn reports units or heads it met unresolved, they are asked for
// outside any transaction and fn runs again, at most maxFactAttempts times.
func (s *Explanations) withFacts(ctx context.Context, headDate string, fn func(*unitFacts) error) error {
	f := newUnitFacts(headDate)
	for attempt := 1; ; attempt++ {
		err := fn(f)
		var u *unresolvedError
		if !errors.As(err, &u) || attempt == maxFactAttempts {
			return err
		}
		if err := s.resolve(ctx, f, u.units); err != nil {
			return err
		}
		if err := s.resolveHeads(ctx, f, u.heads); err != nil {
			return err
		}
	}
}
