package app

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"testing"
)

// treeDirectory answers Parents from a parent map and records every call's ids.
type treeDirectory struct {
	parents map[string]string // no entry: not in the directory
	calls   [][]string
}

func (d *treeDirectory) HeadOnDate(context.Context, string, string) (Head, error) {
	return Head{}, nil
}

func (d *treeDirectory) Parents(_ context.Context, ids []string) (map[string]string, []string, error) {
	d.calls = append(d.calls, slices.Clone(ids))
	out := map[string]string{}
	var missing []string
	for _, id := range ids {
		if p, ok := d.parents[id]; ok {
			out[id] = p
		} else {
			missing = append(missing, id)
		}
	}
	return out, missing, nil
}

// TestResolveLevelByLevel: the units of a three-level tree are resolved in one call per
// level, whatever their number; a unit under a unit the directory lacks has no province.
func TestResolveLevelByLevel(t *testing.T) {
	dir := &treeDirectory{parents: map[string]string{
		"p": "", "d1": "p", "d2": "p", "c1": "d1", "c2": "d1", "c3": "d2", "c4": "gone",
	}}
	s := NewExplanations(nil, dir, nil, 0, slog.New(slog.DiscardHandler))
	f := newUnitFacts("")
	if err := s.resolve(t.Context(), f, []string{"c1", "c2", "c3", "c4", "c1"}); err != nil {
		t.Fatal(err)
	}
	if len(dir.calls) != 3 {
		t.Errorf("%d directory calls %v, want 3 (communes, districts, province)", len(dir.calls), dir.calls)
	}
	for _, c := range []string{"c1", "c2", "c3"} {
		if p, err := f.provinceOf(c); p != "p" || err != nil {
			t.Errorf("province of %s = %q, %v", c, p, err)
		}
	}
	if _, err := f.provinceOf("c4"); !errors.Is(err, ErrUnknownUnit) {
		t.Errorf("province of c4 under a unit the directory lacks: %v, want ErrUnknownUnit", err)
	}
	var u *unresolvedError
	if _, err := f.parentOf("c9"); !errors.As(err, &u) {
		t.Errorf("parent of a unit never asked about: %v, want unresolved", err)
	}
	if err := s.resolve(t.Context(), f, []string{"c1", "d2"}); err != nil || len(dir.calls) != 3 {
		t.Errorf("resolving known units again called the directory: %v, %d calls", err, len(dir.calls))
	}
}

// TestSettle: before the directory is asked every unit is reported; after, a result that
// arrived meanwhile is left out, but a stored evaluation's unit must still be known.
func TestSettle(t *testing.T) {
	dir := &treeDirectory{parents: map[string]string{"p": "", "a": "p", "b": "p"}}
	s := NewExplanations(nil, dir, nil, 0, slog.New(slog.DiscardHandler))
	f := newUnitFacts("")
	var u *unresolvedError
	if _, err := f.settle([]string{"b"}, []UnitIndex{{UnitID: "a"}}); !errors.As(err, &u) || len(u.units) != 2 {
		t.Fatalf("first run: %v, want both units unresolved", err)
	}
	if err := s.resolve(t.Context(), f, u.units); err != nil {
		t.Fatal(err)
	}
	got, err := f.settle([]string{"b"}, []UnitIndex{{UnitID: "a"}, {UnitID: "late"}})
	if err != nil || len(got) != 1 || got[0].UnitID != "a" {
		t.Errorf("after asking: %v, %v; want only a, the late result left out", got, err)
	}
	if _, err := f.settle([]string{"new-evaluation"}, nil); !errors.As(err, &u) {
		t.Errorf("an evaluation's unknown unit: %v, want unresolved", err)
	}
}
