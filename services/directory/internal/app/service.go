package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	directoryv1 "github.com/parindex/platform/proto/gen/go/par/directory/v1"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/directory/internal/pbconv"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

// Service runs the directory's use cases. Callers have already been authorised.
type Service struct {
	store Store
	now   func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock that decides "today" (which units are dissolved); tests pin it.
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// New returns a Service on store.
func New(store Store, opts ...Option) *Service {
	s := &Service{store: store, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// text is the storage form of text people type: NFC, so that composed and decomposed
// input are the same bytes, and without surrounding spaces.
func text(s string) string { return strings.TrimSpace(vntext.NFC(s)) }

// textPtr applies text to an optional value.
func textPtr(s *string) *string {
	if s == nil {
		return nil
	}
	v := text(*s)
	return &v
}

// CreateUnit validates u, checks its place in the tree and stores it with a UnitCreated event.
func (s *Service) CreateUnit(ctx context.Context, u directory.Unit) (directory.Unit, error) {
	u = directory.Unit{
		Code: strings.TrimSpace(u.Code), Name: text(u.Name), ShortName: text(u.ShortName),
		Kind: strings.TrimSpace(u.Kind), Level: strings.TrimSpace(u.Level), ParentID: u.ParentID,
		ValidFrom: u.ValidFrom, ValidTo: u.ValidTo,
	}
	if err := u.Validate(); err != nil {
		return directory.Unit{}, err
	}
	var created directory.Unit
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := checkPlacement(ctx, tx, u, true); err != nil {
			return err
		}
		var err error
		if created, err = tx.InsertUnit(ctx, u); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectUnitCreated, &directoryv1.UnitCreated{Unit: pbconv.Unit(created)})
	})
	if err != nil {
		return directory.Unit{}, fmt.Errorf("create unit %q: %w", u.Code, err)
	}
	return created, nil
}

// checkPlacement checks, inside the transaction, that the unit's level, kind and parent
// exist and that the unit fits the tree there. Every problem is reported at once.
func checkPlacement(ctx context.Context, tx Tx, u directory.Unit, checkKind bool) error {
	var problems directory.ValidationErrors
	var place directory.Placement

	level, ok, err := tx.Level(ctx, u.Level)
	if err != nil {
		return err
	}
	if !ok {
		problems = append(problems, directory.ValidationError{Field: "level", Reason: fmt.Sprintf("Không có cấp hành chính mã %q", u.Level)})
	}
	place.Level = level

	if checkKind {
		ok, err := tx.KindExists(ctx, u.Kind)
		if err != nil {
			return err
		}
		if !ok {
			problems = append(problems, directory.ValidationError{Field: "kind", Reason: fmt.Sprintf("Không có loại đơn vị mã %q", u.Kind)})
		}
	}

	if u.ParentID != "" {
		parent, err := tx.LockUnit(ctx, u.ParentID)
		switch {
		case errors.Is(err, directory.ErrUnitNotFound):
			problems = append(problems, directory.ValidationError{Field: "parent_id", Reason: "Không tìm thấy đơn vị cấp trên"})
		case err != nil:
			return err
		default:
			parentLevel, _, err := tx.Level(ctx, parent.Level)
			if err != nil {
				return err
			}
			place.Parent, place.ParentLevel = &parent, parentLevel
			if u.ID != "" {
				if place.ParentAncestry, err = tx.Ancestry(ctx, parent.ID); err != nil {
					return err
				}
			}
		}
	}
	if u.ID != "" {
		if place.ChildRanks, err = tx.ChildRanks(ctx, u.ID); err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		// Without the level or parent rows the rank rule cannot be judged.
		return problems
	}
	return place.Check(u)
}

// GetUnit returns the unit with id.
func (s *Service) GetUnit(ctx context.Context, id string) (directory.Unit, error) {
	u, err := s.store.Unit(ctx, id)
	if err != nil {
		return directory.Unit{}, fmt.Errorf("get unit %s: %w", id, err)
	}
	return u, nil
}

// LookupUnit returns the unit with code.
func (s *Service) LookupUnit(ctx context.Context, code string) (directory.Unit, error) {
	u, err := s.store.UnitByCode(ctx, strings.TrimSpace(code))
	if err != nil {
		return directory.Unit{}, fmt.Errorf("lookup unit %q: %w", code, err)
	}
	return u, nil
}

// BatchGetUnits returns the units with ids in the order asked, and the ids that name none.
func (s *Service) BatchGetUnits(ctx context.Context, ids []string) (units []directory.Unit, missing []string, err error) {
	found, err := s.store.UnitsByID(ctx, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("batch get %d units: %w", len(ids), err)
	}
	byID := make(map[string]directory.Unit, len(found))
	for _, u := range found {
		byID[u.ID] = u
	}
	for _, id := range ids {
		if u, ok := byID[id]; ok {
			units = append(units, u)
		} else {
			missing = append(missing, id)
		}
	}
	return units, missing, nil
}

// ListUnits returns one page of units, ordered by level rank then code.
func (s *Service) ListUnits(ctx context.Context, f UnitFilter, p Page) ([]directory.Unit, string, error) {
	f.Today = vntime.Today(s.now())
	f.Query = text(f.Query)
	units, next, err := s.store.ListUnits(ctx, f, p)
	if err != nil {
		return nil, "", fmt.Errorf("list units: %w", err)
	}
	return units, next, nil
}

// UpdateUnit changes the fields in patch and publishes UnitUpdated with the previous
// state; a patch that changes nothing stores and publishes nothing.
func (s *Service) UpdateUnit(ctx context.Context, id string, patch directory.UnitPatch) (directory.Unit, error) {
	if patch.Empty() {
		return directory.Unit{}, directory.ValidationError{Field: "update_mask", Reason: "Cần chỉ ra ít nhất một trường cần cập nhật"}
	}
	patch.Name, patch.ShortName = textPtr(patch.Name), textPtr(patch.ShortName)
	var updated directory.Unit
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		prev, err := tx.LockUnit(ctx, id)
		if err != nil {
			return err
		}
		next := prev.Apply(patch)
		if err := next.Validate(); err != nil {
			return err
		}
		if sameUnit(prev, next) {
			updated = prev
			return nil
		}
		if patch.MovesInTree() || next.Kind != prev.Kind {
			if err := checkPlacement(ctx, tx, next, next.Kind != prev.Kind); err != nil {
				return err
			}
		}
		if updated, err = tx.UpdateUnit(ctx, next); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectUnitUpdated, &directoryv1.UnitUpdated{Unit: pbconv.Unit(updated), Previous: pbconv.Unit(prev)})
	})
	if err != nil {
		return directory.Unit{}, fmt.Errorf("update unit %s: %w", id, err)
	}
	return updated, nil
}

// sameUnit reports whether two versions of a unit differ in no stored field.
func sameUnit(a, b directory.Unit) bool {
	a.CreateTime, a.UpdateTime, b.CreateTime, b.UpdateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}

// ListUnitLevels returns the levels ordered by rank.
func (s *Service) ListUnitLevels(ctx context.Context) ([]directory.Level, error) {
	levels, err := s.store.Levels(ctx)
	if err != nil {
		return nil, fmt.Errorf("list levels: %w", err)
	}
	return levels, nil
}

// CreateUnitLevel stores a new level.
func (s *Service) CreateUnitLevel(ctx context.Context, l directory.Level) (directory.Level, error) {
	l.Code, l.Name = strings.TrimSpace(l.Code), text(l.Name)
	if err := l.Validate(); err != nil {
		return directory.Level{}, err
	}
	var created directory.Level
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		created, err = tx.InsertLevel(ctx, l)
		return err
	})
	if err != nil {
		return directory.Level{}, fmt.Errorf("create level %q: %w", l.Code, err)
	}
	return created, nil
}

// ListUnitKinds returns the kinds ordered by code.
func (s *Service) ListUnitKinds(ctx context.Context) ([]directory.Kind, error) {
	kinds, err := s.store.Kinds(ctx)
	if err != nil {
		return nil, fmt.Errorf("list kinds: %w", err)
	}
	return kinds, nil
}

// CreateUnitKind stores a new kind.
func (s *Service) CreateUnitKind(ctx context.Context, k directory.Kind) (directory.Kind, error) {
	k.Code, k.Name = strings.TrimSpace(k.Code), text(k.Name)
	if err := k.Validate(); err != nil {
		return directory.Kind{}, err
	}
	var created directory.Kind
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		var err error
		created, err = tx.InsertKind(ctx, k)
		return err
	})
	if err != nil {
		return directory.Kind{}, fmt.Errorf("create kind %q: %w", k.Code, err)
	}
	return created, nil
}

// AssignHead starts a tenure. The open tenure of the same kind that started earlier ends
// the day before and is returned; the change publishes HeadAssigned.
func (s *Service) AssignHead(ctx context.Context, t directory.HeadTenure) (started directory.HeadTenure, ended *directory.HeadTenure, err error) {
	t = directory.HeadTenure{
		UnitID: t.UnitID, PersonName: text(t.PersonName), Title: text(t.Title), Acting: t.Acting,
		Start: t.Start, End: t.End, UserID: t.UserID, Note: text(t.Note),
	}
	if err := t.Validate(); err != nil {
		return directory.HeadTenure{}, nil, err
	}
	err = s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		// The unit lock serialises tenure changes of one unit, so the history read below
		// is the one the new tenure is written against.
		if _, err := tx.LockUnit(ctx, t.UnitID); err != nil {
			return err
		}
		if t.UserID != "" {
			ok, err := tx.UserExists(ctx, t.UserID)
			if err != nil {
				return err
			}
			if !ok {
				return directory.ValidationError{Field: "user_id", Reason: "Không tìm thấy người dùng"}
			}
		}
		history, err := tx.UnitTenures(ctx, t.UnitID)
		if err != nil {
			return err
		}
		toEnd, err := directory.Assign(history, t)
		if err != nil {
			return err
		}
		if toEnd != nil {
			closed, err := tx.SetTenureEnd(ctx, toEnd.ID, toEnd.End)
			if err != nil {
				return err
			}
			ended = &closed
		}
		if started, err = tx.InsertTenure(ctx, t); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectHeadAssigned, &directoryv1.HeadAssigned{
			Tenure: pbconv.Tenure(&started), EndedTenure: pbconv.Tenure(ended),
		})
	})
	if err != nil {
		return directory.HeadTenure{}, nil, fmt.Errorf("assign head of unit %s from %s: %w", t.UnitID, t.Start, err)
	}
	return started, ended, nil
}

// EndHeadTenure closes an open tenure of the unit on day end and publishes HeadTenureEnded.
func (s *Service) EndHeadTenure(ctx context.Context, unitID, tenureID string, end vntime.Date) (directory.HeadTenure, error) {
	var closed directory.HeadTenure
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if _, err := tx.LockUnit(ctx, unitID); err != nil {
			return err
		}
		history, err := tx.UnitTenures(ctx, unitID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(history, func(t directory.HeadTenure) bool { return t.ID == tenureID })
		if i < 0 {
			return directory.ErrTenureNotFound
		}
		next, err := history[i].EndOn(end)
		if err != nil {
			return err
		}
		if closed, err = tx.SetTenureEnd(ctx, tenureID, next.End); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectHeadEnded, &directoryv1.HeadTenureEnded{Tenure: pbconv.Tenure(&closed)})
	})
	if err != nil {
		return directory.HeadTenure{}, fmt.Errorf("end head tenure %s of unit %s on %s: %w", tenureID, unitID, end, err)
	}
	return closed, nil
}

// ListHeadTenures returns one page of the unit's tenures, newest start first.
func (s *Service) ListHeadTenures(ctx context.Context, unitID string, p Page) ([]directory.HeadTenure, string, error) {
	if _, err := s.store.Unit(ctx, unitID); err != nil {
		return nil, "", fmt.Errorf("list head tenures of unit %s: %w", unitID, err)
	}
	tenures, next, err := s.store.HeadTenures(ctx, unitID, p)
	if err != nil {
		return nil, "", fmt.Errorf("list head tenures of unit %s: %w", unitID, err)
	}
	return tenures, next, nil
}

// HeadOnDate answers who headed the unit on day d.
func (s *Service) HeadOnDate(ctx context.Context, unitID string, d vntime.Date) (directory.HeadOnDate, error) {
	if _, err := s.store.Unit(ctx, unitID); err != nil {
		return directory.HeadOnDate{}, fmt.Errorf("head of unit %s on %s: %w", unitID, d, err)
	}
	tenures, err := s.store.TenuresOn(ctx, unitID, d)
	if err != nil {
		return directory.HeadOnDate{}, fmt.Errorf("head of unit %s on %s: %w", unitID, d, err)
	}
	return directory.HeadOn(tenures, d), nil
}

// CreateUser validates and stores a new, active user and publishes UserChanged.
func (s *Service) CreateUser(ctx context.Context, u directory.User) (directory.User, error) {
	u = directory.User{
		Subject: strings.TrimSpace(u.Subject), DisplayName: text(u.DisplayName), Email: strings.TrimSpace(u.Email),
		UnitID: u.UnitID, Roles: slices.Clone(u.Roles), Active: true,
	}
	if err := u.Validate(); err != nil {
		return directory.User{}, err
	}
	var created directory.User
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		if err := checkUserUnit(ctx, tx, u.UnitID); err != nil {
			return err
		}
		var err error
		if created, err = tx.InsertUser(ctx, u); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectUserChanged, &directoryv1.UserChanged{User: pbconv.User(created)})
	})
	if err != nil {
		return directory.User{}, fmt.Errorf("create user %q: %w", u.Subject, err)
	}
	return created, nil
}

// checkUserUnit reports a user's unit that does not exist as a field problem.
func checkUserUnit(ctx context.Context, tx Tx, unitID string) error {
	_, err := tx.LockUnit(ctx, unitID)
	if errors.Is(err, directory.ErrUnitNotFound) {
		return directory.ValidationError{Field: "unit_id", Reason: "Không tìm thấy đơn vị"}
	}
	return err
}

// GetUser returns the user with id.
func (s *Service) GetUser(ctx context.Context, id string) (directory.User, error) {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return directory.User{}, fmt.Errorf("get user %s: %w", id, err)
	}
	return u, nil
}

// ListUsers returns one page of users ordered by display name.
func (s *Service) ListUsers(ctx context.Context, f UserFilter, p Page) ([]directory.User, string, error) {
	f.Query = text(f.Query)
	users, next, err := s.store.ListUsers(ctx, f, p)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return users, next, nil
}

// UpdateUser changes the fields in patch and publishes UserChanged; a patch that changes
// nothing stores and publishes nothing.
func (s *Service) UpdateUser(ctx context.Context, id string, patch directory.UserPatch) (directory.User, error) {
	if patch.Empty() {
		return directory.User{}, directory.ValidationError{Field: "update_mask", Reason: "Cần chỉ ra ít nhất một trường cần cập nhật"}
	}
	patch.DisplayName = textPtr(patch.DisplayName)
	if patch.Email != nil {
		e := strings.TrimSpace(*patch.Email)
		patch.Email = &e
	}
	var updated directory.User
	err := s.store.InTx(ctx, func(ctx context.Context, tx Tx) error {
		prev, err := tx.LockUser(ctx, id)
		if err != nil {
			return err
		}
		next := prev.Apply(patch)
		if err := next.Validate(); err != nil {
			return err
		}
		if sameUser(prev, next) {
			updated = prev
			return nil
		}
		if next.UnitID != prev.UnitID {
			if err := checkUserUnit(ctx, tx, next.UnitID); err != nil {
				return err
			}
		}
		if updated, err = tx.UpdateUser(ctx, next); err != nil {
			return err
		}
		return tx.Emit(ctx, SubjectUserChanged, &directoryv1.UserChanged{User: pbconv.User(updated)})
	})
	if err != nil {
		return directory.User{}, fmt.Errorf("update user %s: %w", id, err)
	}
	return updated, nil
}

// sameUser reports whether two versions of a user differ in no stored field.
func sameUser(a, b directory.User) bool {
	return a.Subject == b.Subject && a.DisplayName == b.DisplayName && a.Email == b.Email &&
		a.UnitID == b.UnitID && slices.Equal(a.Roles, b.Roles) && a.Active == b.Active
}
