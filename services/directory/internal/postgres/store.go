// Package postgres is the directory's store on PostgreSQL: the SQL of the app's ports,
// the embedded migrations, and outbox writes in the transaction of each change. It turns
// driver errors into the domain's errors at the source.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	"github.com/parindex/platform/services/directory/internal/app"
	"github.com/parindex/platform/services/directory/internal/directory"
	"github.com/parindex/platform/services/kit/outbox"
	"github.com/parindex/platform/services/kit/page"
	"github.com/parindex/platform/services/kit/pg"
	"github.com/parindex/platform/services/kit/vntext"
	"github.com/parindex/platform/services/kit/vntime"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the directory's tern migrations, for pg.Migrate and pgtest.
func Migrations() fs.FS {
	return pg.Sub(migrations, "migrations")
}

// querier is what both the pool and a transaction offer, so reads are written once.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Store implements app.Store on a pool.
type Store struct {
	pool *pgxpool.Pool
	reader
}

var _ app.Store = (*Store)(nil)

// New returns a Store on pool; the schema must be migrated (pg.Migrate with Migrations()).
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, reader: reader{db: pool}}
}

// InTx runs fn in one transaction; the events fn emits commit or roll back with it.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx app.Tx) error) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return fn(ctx, &txStore{reader: reader{db: tx}, tx: tx})
	})
}

// reader holds the queries; on a pool they read committed data, in a transaction they
// see its own writes.
type reader struct {
	db querier
}

// txStore is one transaction of a change.
type txStore struct {
	reader
	tx pgx.Tx
}

var _ app.Tx = (*txStore)(nil)

// validID reports whether s can be an id; anything else names no row, and saying so
// here keeps malformed ids from becoming SQL errors.
func validID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// ---- units ----

// unitColumns lists a unit's columns in the order scanUnit reads them.
func unitColumns(alias string) string {
	p := alias + "."
	return p + "id::text, " + p + "code, " + p + "name, " + p + "short_name, " + p + "kind, " + p + "level, " +
		"coalesce(" + p + "parent_id::text, ''), " + p + "valid_from, " + p + "valid_to, " + p + "create_time, " + p + "update_time"
}

func scanUnit(row pgx.Row) (directory.Unit, error) {
	var u directory.Unit
	var from, to pgtype.Date
	err := row.Scan(&u.ID, &u.Code, &u.Name, &u.ShortName, &u.Kind, &u.Level, &u.ParentID, &from, &to, &u.CreateTime, &u.UpdateTime)
	u.ValidFrom, u.ValidTo = fromDate(from), fromDate(to)
	return u, err
}

// oneUnit maps "no row" to the domain's not-found error.
func oneUnit(row pgx.Row) (directory.Unit, error) {
	u, err := scanUnit(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.Unit{}, directory.ErrUnitNotFound
	}
	if err != nil {
		return directory.Unit{}, fmt.Errorf("scan unit: %w", err)
	}
	return u, nil
}

// unitSearchKey is what ListUnits' query matches: name, short name and code folded
// (case, diacritics, đ, spacing), kept apart so a query does not match across them.
func unitSearchKey(u directory.Unit) string {
	return vntext.Fold(u.Name) + " | " + vntext.Fold(u.ShortName) + " | " + vntext.Fold(u.Code)
}

// Unit returns the unit with id.
func (r reader) Unit(ctx context.Context, id string) (directory.Unit, error) {
	if !validID(id) {
		return directory.Unit{}, directory.ErrUnitNotFound
	}
	return oneUnit(r.db.QueryRow(ctx, `SELECT `+unitColumns("u")+` FROM units u WHERE u.id = $1`, id))
}

// UnitByCode returns the unit with code, compared exactly.
func (r reader) UnitByCode(ctx context.Context, code string) (directory.Unit, error) {
	return oneUnit(r.db.QueryRow(ctx, `SELECT `+unitColumns("u")+` FROM units u WHERE u.code = $1`, code))
}

// UnitsByID returns the units found among ids.
func (r reader) UnitsByID(ctx context.Context, ids []string) ([]directory.Unit, error) {
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return nil, nil
	}
	rows, err := r.db.Query(ctx, `SELECT `+unitColumns("u")+` FROM units u WHERE u.id = ANY($1::uuid[])`, valid)
	if err != nil {
		return nil, fmt.Errorf("query units by id: %w", err)
	}
	units, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (directory.Unit, error) { return scanUnit(row) })
	if err != nil {
		return nil, fmt.Errorf("scan units: %w", err)
	}
	return units, nil
}

// unitCursor is the keyset position after the last unit of a page.
type unitCursor struct {
	Rank int    `json:"r"`
	Code string `json:"c"`
}

// ListUnits returns one page of units ordered by level rank, then code.
func (r reader) ListUnits(ctx context.Context, f app.UnitFilter, p app.Page) ([]directory.Unit, string, error) {
	var cur *unitCursor
	if p.Token != "" {
		cur = new(unitCursor)
		if err := decodeToken(p.Token, cur); err != nil {
			return nil, "", err
		}
	}
	var q sqlBuilder
	if f.ParentID != "" {
		if !validID(f.ParentID) {
			return nil, "", nil
		}
		q.where("u.parent_id = %s", f.ParentID)
	}
	if f.Level != "" {
		q.where("u.level = %s", f.Level)
	}
	if f.Kind != "" {
		q.where("u.kind = %s", f.Kind)
	}
	if key := vntext.Fold(f.Query); key != "" {
		q.where("u.search_fold LIKE %s", containsPattern(key))
	}
	if !f.IncludeDissolved {
		q.where("(u.valid_to IS NULL OR u.valid_to >= %s)", dateArg(f.Today))
	}
	if cur != nil {
		q.where("(l.rank, u.code) > (%s, %s)", cur.Rank, cur.Code)
	}
	size := pageSize(p)
	sql := `SELECT ` + unitColumns("u") + `, l.rank FROM units u JOIN unit_levels l ON l.code = u.level` +
		q.clause() + fmt.Sprintf(` ORDER BY l.rank, u.code LIMIT %d`, size+1)
	rows, err := r.db.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list units: %w", err)
	}
	type ranked struct {
		unit directory.Unit
		rank int
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ranked, error) {
		var x ranked
		var from, to pgtype.Date
		u := &x.unit
		err := row.Scan(&u.ID, &u.Code, &u.Name, &u.ShortName, &u.Kind, &u.Level, &u.ParentID, &from, &to, &u.CreateTime, &u.UpdateTime, &x.rank)
		u.ValidFrom, u.ValidTo = fromDate(from), fromDate(to)
		return x, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("scan units: %w", err)
	}
	next := ""
	if len(found) > size {
		found = found[:size]
		last := found[size-1]
		next = page.Encode(unitCursor{Rank: last.rank, Code: last.unit.Code})
	}
	units := make([]directory.Unit, len(found))
	for i, x := range found {
		units[i] = x.unit
	}
	return units, next, nil
}

// LockUnit returns the unit with id, locked until the transaction ends.
func (t *txStore) LockUnit(ctx context.Context, id string) (directory.Unit, error) {
	if !validID(id) {
		return directory.Unit{}, directory.ErrUnitNotFound
	}
	return oneUnit(t.tx.QueryRow(ctx, `SELECT `+unitColumns("u")+` FROM units u WHERE u.id = $1 FOR UPDATE`, id))
}

// Ancestry returns the ids from id up to its root. The depth bound keeps a corrupt tree
// (which the rules forbid) from looping forever.
func (t *txStore) Ancestry(ctx context.Context, id string) ([]string, error) {
	rows, err := t.tx.Query(ctx, `
		WITH RECURSIVE up (id, parent_id, depth) AS (
			SELECT id, parent_id, 0 FROM units WHERE id = $1
			UNION ALL
			SELECT u.id, u.parent_id, up.depth + 1 FROM units u JOIN up ON u.id = up.parent_id
			WHERE up.depth < 1000
		)
		SELECT id::text FROM up ORDER BY depth`, id)
	if err != nil {
		return nil, fmt.Errorf("ancestry of unit %s: %w", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("ancestry of unit %s: %w", id, err)
	}
	return ids, nil
}

// ChildRanks returns the distinct level ranks of the unit's children.
func (t *txStore) ChildRanks(ctx context.Context, id string) ([]int, error) {
	rows, err := t.tx.Query(ctx, `
		SELECT DISTINCT l.rank FROM units u JOIN unit_levels l ON l.code = u.level
		WHERE u.parent_id = $1 ORDER BY l.rank`, id)
	if err != nil {
		return nil, fmt.Errorf("child ranks of unit %s: %w", id, err)
	}
	ranks, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return nil, fmt.Errorf("child ranks of unit %s: %w", id, err)
	}
	return ranks, nil
}

// InsertUnit stores a new unit.
func (t *txStore) InsertUnit(ctx context.Context, u directory.Unit) (directory.Unit, error) {
	created, err := oneUnit(t.tx.QueryRow(ctx, `
		INSERT INTO units AS u (code, name, short_name, kind, level, parent_id, valid_from, valid_to, search_fold)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING `+unitColumns("u"),
		u.Code, u.Name, u.ShortName, u.Kind, u.Level, nullID(u.ParentID), dateArg(u.ValidFrom), dateArg(u.ValidTo), unitSearchKey(u)))
	if err != nil {
		return directory.Unit{}, unitWriteError(err)
	}
	return created, nil
}

// UpdateUnit stores every field of u but id and code.
func (t *txStore) UpdateUnit(ctx context.Context, u directory.Unit) (directory.Unit, error) {
	updated, err := oneUnit(t.tx.QueryRow(ctx, `
		UPDATE units AS u SET name = $2, short_name = $3, kind = $4, level = $5, parent_id = $6,
			valid_from = $7, valid_to = $8, search_fold = $9, update_time = now()
		WHERE u.id = $1
		RETURNING `+unitColumns("u"),
		u.ID, u.Name, u.ShortName, u.Kind, u.Level, nullID(u.ParentID), dateArg(u.ValidFrom), dateArg(u.ValidTo), unitSearchKey(u)))
	if err != nil {
		return directory.Unit{}, unitWriteError(err)
	}
	return updated, nil
}

// unitWriteError turns constraint violations of a unit write into domain errors.
func unitWriteError(err error) error {
	if c, ok := pg.IsUniqueViolation(err); ok && c == "units_code_key" {
		return directory.ErrUnitCodeTaken
	}
	if c, ok := pg.IsForeignKeyViolation(err); ok {
		switch c {
		case "units_kind_fkey":
			return directory.ValidationError{Field: "kind", Reason: "Không có loại đơn vị này"}
		case "units_level_fkey":
			return directory.ValidationError{Field: "level", Reason: "Không có cấp hành chính này"}
		case "units_parent_id_fkey":
			return directory.ValidationError{Field: "parent_id", Reason: "Không tìm thấy đơn vị cấp trên"}
		}
	}
	return err
}

// ---- levels and kinds ----

// Levels returns every level by rank, then code.
func (r reader) Levels(ctx context.Context) ([]directory.Level, error) {
	rows, err := r.db.Query(ctx, `SELECT code, name, rank FROM unit_levels ORDER BY rank, code`)
	if err != nil {
		return nil, fmt.Errorf("list levels: %w", err)
	}
	levels, err := pgx.CollectRows(rows, scanLevel)
	if err != nil {
		return nil, fmt.Errorf("list levels: %w", err)
	}
	return levels, nil
}

func scanLevel(row pgx.CollectableRow) (directory.Level, error) {
	var l directory.Level
	err := row.Scan(&l.Code, &l.Name, &l.Rank)
	return l, err
}

// Kinds returns every kind by code.
func (r reader) Kinds(ctx context.Context) ([]directory.Kind, error) {
	rows, err := r.db.Query(ctx, `SELECT code, name FROM unit_kinds ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list kinds: %w", err)
	}
	kinds, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (directory.Kind, error) {
		var k directory.Kind
		err := row.Scan(&k.Code, &k.Name)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("list kinds: %w", err)
	}
	return kinds, nil
}

// Level returns the level with code.
func (t *txStore) Level(ctx context.Context, code string) (directory.Level, bool, error) {
	var l directory.Level
	err := t.tx.QueryRow(ctx, `SELECT code, name, rank FROM unit_levels WHERE code = $1`, code).Scan(&l.Code, &l.Name, &l.Rank)
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.Level{}, false, nil
	}
	if err != nil {
		return directory.Level{}, false, fmt.Errorf("level %q: %w", code, err)
	}
	return l, true, nil
}

// KindExists reports whether a kind has code.
func (t *txStore) KindExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM unit_kinds WHERE code = $1)`, code).Scan(&ok); err != nil {
		return false, fmt.Errorf("kind %q: %w", code, err)
	}
	return ok, nil
}

// InsertLevel stores a level.
func (t *txStore) InsertLevel(ctx context.Context, l directory.Level) (directory.Level, error) {
	_, err := t.tx.Exec(ctx, `INSERT INTO unit_levels (code, name, rank) VALUES ($1, $2, $3)`, l.Code, l.Name, l.Rank)
	if _, ok := pg.IsUniqueViolation(err); ok {
		return directory.Level{}, directory.ErrLevelExists
	}
	if err != nil {
		return directory.Level{}, fmt.Errorf("insert level: %w", err)
	}
	return l, nil
}

// InsertKind stores a kind.
func (t *txStore) InsertKind(ctx context.Context, k directory.Kind) (directory.Kind, error) {
	_, err := t.tx.Exec(ctx, `INSERT INTO unit_kinds (code, name) VALUES ($1, $2)`, k.Code, k.Name)
	if _, ok := pg.IsUniqueViolation(err); ok {
		return directory.Kind{}, directory.ErrKindExists
	}
	if err != nil {
		return directory.Kind{}, fmt.Errorf("insert kind: %w", err)
	}
	return k, nil
}

// ---- head tenures ----

const tenureColumns = `id::text, unit_id::text, person_name, title, acting, start_date, end_date,
	coalesce(user_id::text, ''), note, create_time`

func scanTenure(row pgx.Row) (directory.HeadTenure, error) {
	var t directory.HeadTenure
	var start, end pgtype.Date
	err := row.Scan(&t.ID, &t.UnitID, &t.PersonName, &t.Title, &t.Acting, &start, &end, &t.UserID, &t.Note, &t.CreateTime)
	t.Start, t.End = fromDate(start), fromDate(end)
	return t, err
}

func collectTenures(rows pgx.Rows, err error) ([]directory.HeadTenure, error) {
	if err != nil {
		return nil, fmt.Errorf("query head tenures: %w", err)
	}
	tenures, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (directory.HeadTenure, error) { return scanTenure(row) })
	if err != nil {
		return nil, fmt.Errorf("scan head tenures: %w", err)
	}
	return tenures, nil
}

// tenureCursor is the keyset position after the last tenure of a page.
type tenureCursor struct {
	Start string `json:"s"`
	ID    string `json:"i"`
}

// HeadTenures returns one page of the unit's tenures, newest start first.
func (r reader) HeadTenures(ctx context.Context, unitID string, p app.Page) ([]directory.HeadTenure, string, error) {
	var q sqlBuilder
	q.where("unit_id = %s", unitID)
	if p.Token != "" {
		var cur tenureCursor
		if err := decodeToken(p.Token, &cur); err != nil {
			return nil, "", err
		}
		start, err := vntime.ParseISO(cur.Start)
		if err != nil || !validID(cur.ID) {
			return nil, "", badToken()
		}
		q.where("(start_date, id) < (%s, %s)", dateArg(start), cur.ID)
	}
	size := pageSize(p)
	tenures, err := collectTenures(r.db.Query(ctx, `SELECT `+tenureColumns+` FROM head_tenures`+q.clause()+
		fmt.Sprintf(` ORDER BY start_date DESC, id DESC LIMIT %d`, size+1), q.args...))
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(tenures) > size {
		tenures = tenures[:size]
		last := tenures[size-1]
		next = page.Encode(tenureCursor{Start: last.Start.ISO(), ID: last.ID})
	}
	return tenures, next, nil
}

// TenuresOn returns the unit's tenures covering day d.
func (r reader) TenuresOn(ctx context.Context, unitID string, d vntime.Date) ([]directory.HeadTenure, error) {
	return collectTenures(r.db.Query(ctx, `SELECT `+tenureColumns+` FROM head_tenures
		WHERE unit_id = $1 AND start_date <= $2 AND (end_date IS NULL OR end_date >= $2)`, unitID, dateArg(d)))
}

// UnitTenures returns all the unit's tenures, oldest first.
func (t *txStore) UnitTenures(ctx context.Context, unitID string) ([]directory.HeadTenure, error) {
	return collectTenures(t.tx.Query(ctx, `SELECT `+tenureColumns+` FROM head_tenures WHERE unit_id = $1 ORDER BY start_date, id`, unitID))
}

// InsertTenure stores a new tenure.
func (t *txStore) InsertTenure(ctx context.Context, h directory.HeadTenure) (directory.HeadTenure, error) {
	created, err := scanTenure(t.tx.QueryRow(ctx, `
		INSERT INTO head_tenures (unit_id, person_name, title, acting, start_date, end_date, user_id, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		RETURNING `+tenureColumns,
		h.UnitID, h.PersonName, h.Title, h.Acting, dateArg(h.Start), dateArg(h.End), nullID(h.UserID), h.Note))
	if err != nil {
		return directory.HeadTenure{}, tenureWriteError(err)
	}
	return created, nil
}

// SetTenureEnd sets a tenure's last day.
func (t *txStore) SetTenureEnd(ctx context.Context, id string, end vntime.Date) (directory.HeadTenure, error) {
	updated, err := scanTenure(t.tx.QueryRow(ctx,
		`UPDATE head_tenures SET end_date = $2 WHERE id = $1 RETURNING `+tenureColumns, id, dateArg(end)))
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.HeadTenure{}, directory.ErrTenureNotFound
	}
	if err != nil {
		return directory.HeadTenure{}, tenureWriteError(err)
	}
	return updated, nil
}

// codeExclusionViolation is SQLSTATE exclusion_violation: head_tenures_no_overlap caught
// two tenures of one kind covering the same day.
const codeExclusionViolation = "23P01"

func tenureWriteError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeExclusionViolation {
		return directory.ErrTenureOverlap
	}
	if c, ok := pg.IsForeignKeyViolation(err); ok {
		switch c {
		case "head_tenures_user_id_fkey":
			return directory.ValidationError{Field: "user_id", Reason: "Không tìm thấy người dùng"}
		case "head_tenures_unit_id_fkey":
			return directory.ErrUnitNotFound
		}
	}
	return fmt.Errorf("write head tenure: %w", err)
}

// ---- users ----

func userColumns(alias string) string {
	p := alias + "."
	return p + "id::text, " + p + "subject, " + p + "display_name, " + p + "email, " + p + "unit_id::text, " +
		p + "roles, " + p + "active, " + p + "create_time, " + p + "update_time"
}

func scanUser(row pgx.Row) (directory.User, error) {
	var u directory.User
	var roles []string
	err := row.Scan(&u.ID, &u.Subject, &u.DisplayName, &u.Email, &u.UnitID, &roles, &u.Active, &u.CreateTime, &u.UpdateTime)
	u.Roles = make([]directory.Role, len(roles))
	for i, r := range roles {
		u.Roles[i] = directory.Role(r)
	}
	return u, err
}

func oneUser(row pgx.Row) (directory.User, error) {
	u, err := scanUser(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return directory.User{}, directory.ErrUserNotFound
	}
	if err != nil {
		return directory.User{}, fmt.Errorf("scan user: %w", err)
	}
	return u, nil
}

func roleNames(roles []directory.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = string(r)
	}
	return out
}

// User returns the user with id.
func (r reader) User(ctx context.Context, id string) (directory.User, error) {
	if !validID(id) {
		return directory.User{}, directory.ErrUserNotFound
	}
	return oneUser(r.db.QueryRow(ctx, `SELECT `+userColumns("u")+` FROM users u WHERE u.id = $1`, id))
}

// userCursor is the keyset position after the last user of a page.
type userCursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

// ListUsers returns one page of users ordered by display name in Vietnamese collation.
func (r reader) ListUsers(ctx context.Context, f app.UserFilter, p app.Page) ([]directory.User, string, error) {
	var q sqlBuilder
	if f.UnitID != "" {
		if !validID(f.UnitID) {
			return nil, "", nil
		}
		q.where("u.unit_id = %s", f.UnitID)
	}
	if f.Role != "" {
		q.where("%s = ANY (u.roles)", string(f.Role))
	}
	if key := vntext.Fold(f.Query); key != "" {
		q.where("u.display_name_fold LIKE %s", containsPattern(key))
	}
	if p.Token != "" {
		var cur userCursor
		if err := decodeToken(p.Token, &cur); err != nil {
			return nil, "", err
		}
		if !validID(cur.ID) {
			return nil, "", badToken()
		}
		q.where("(u.display_name, u.id) > (%s, %s)", cur.Name, cur.ID)
	}
	size := pageSize(p)
	rows, err := r.db.Query(ctx, `SELECT `+userColumns("u")+` FROM users u`+q.clause()+
		fmt.Sprintf(` ORDER BY u.display_name, u.id LIMIT %d`, size+1), q.args...)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (directory.User, error) { return scanUser(row) })
	if err != nil {
		return nil, "", fmt.Errorf("scan users: %w", err)
	}
	next := ""
	if len(users) > size {
		users = users[:size]
		last := users[size-1]
		next = page.Encode(userCursor{Name: last.DisplayName, ID: last.ID})
	}
	return users, next, nil
}

// LockUser returns the user with id, locked until the transaction ends.
func (t *txStore) LockUser(ctx context.Context, id string) (directory.User, error) {
	if !validID(id) {
		return directory.User{}, directory.ErrUserNotFound
	}
	return oneUser(t.tx.QueryRow(ctx, `SELECT `+userColumns("u")+` FROM users u WHERE u.id = $1 FOR UPDATE`, id))
}

// UserExists reports whether a user has id.
func (t *txStore) UserExists(ctx context.Context, id string) (bool, error) {
	if !validID(id) {
		return false, nil
	}
	var ok bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("user %s exists: %w", id, err)
	}
	return ok, nil
}

// InsertUser stores a new user.
func (t *txStore) InsertUser(ctx context.Context, u directory.User) (directory.User, error) {
	created, err := oneUser(t.tx.QueryRow(ctx, `
		INSERT INTO users AS u (subject, display_name, display_name_fold, email, unit_id, roles, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		RETURNING `+userColumns("u"),
		u.Subject, u.DisplayName, vntext.Fold(u.DisplayName), u.Email, u.UnitID, roleNames(u.Roles), u.Active))
	if err != nil {
		return directory.User{}, userWriteError(err)
	}
	return created, nil
}

// UpdateUser stores every field of u but id and subject.
func (t *txStore) UpdateUser(ctx context.Context, u directory.User) (directory.User, error) {
	updated, err := oneUser(t.tx.QueryRow(ctx, `
		UPDATE users AS u SET display_name = $2, display_name_fold = $3, email = $4, unit_id = $5,
			roles = $6, active = $7, update_time = now()
		WHERE u.id = $1
		RETURNING `+userColumns("u"),
		u.ID, u.DisplayName, vntext.Fold(u.DisplayName), u.Email, u.UnitID, roleNames(u.Roles), u.Active))
	if err != nil {
		return directory.User{}, userWriteError(err)
	}
	return updated, nil
}

func userWriteError(err error) error {
	if c, ok := pg.IsUniqueViolation(err); ok && c == "users_subject_key" {
		return directory.ErrSubjectTaken
	}
	if c, ok := pg.IsForeignKeyViolation(err); ok && c == "users_unit_id_fkey" {
		return directory.ValidationError{Field: "unit_id", Reason: "Không tìm thấy đơn vị"}
	}
	return err
}

// ---- events ----

// Emit records the event in the outbox in this transaction; the relay publishes it after
// the commit, so the event exists exactly when the change does.
func (t *txStore) Emit(ctx context.Context, subject string, msg proto.Message) error {
	if _, err := outbox.Add(ctx, t.tx, subject, msg); err != nil {
		return fmt.Errorf("emit %s: %w", subject, err)
	}
	return nil
}

// ---- helpers ----

// sqlBuilder collects WHERE conditions and their numbered arguments.
type sqlBuilder struct {
	conds []string
	args  []any
}

// where adds a condition whose %s verbs are replaced by placeholders for args.
func (b *sqlBuilder) where(cond string, args ...any) {
	ph := make([]any, len(args))
	for i, a := range args {
		b.args = append(b.args, a)
		ph[i] = fmt.Sprintf("$%d", len(b.args))
	}
	b.conds = append(b.conds, fmt.Sprintf(cond, ph...))
}

// clause returns " WHERE …" or "".
func (b *sqlBuilder) clause() string {
	if len(b.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(b.conds, " AND ")
}

// containsPattern is a LIKE pattern matching s anywhere, with LIKE's wildcards in s escaped.
func containsPattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// pageSize guards against a caller that did not apply the defaults.
func pageSize(p app.Page) int {
	if p.Size <= 0 {
		return page.Size(0)
	}
	if p.Size > page.MaxSize {
		return page.MaxSize
	}
	return p.Size
}

// decodeToken decodes a page token, reporting a bad one on the request's page_token field.
func decodeToken(tok string, cur any) error {
	if err := page.Decode(tok, cur); err != nil {
		return badToken()
	}
	return nil
}

func badToken() error {
	return directory.ValidationError{Field: page.TokenField, Reason: "Mã trang (page_token) không hợp lệ"}
}

// dateArg is the SQL date of d; NULL for no date.
func dateArg(d vntime.Date) pgtype.Date {
	if d.IsZero() {
		return pgtype.Date{}
	}
	return pgtype.Date{Time: time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC), Valid: true}
}

// fromDate is the local date of an SQL date; no date for NULL. pgx returns dates as UTC
// midnights, so the calendar fields are read as they are.
func fromDate(p pgtype.Date) vntime.Date {
	if !p.Valid {
		return vntime.Date{}
	}
	y, m, d := p.Time.Date()
	return vntime.Date{Year: y, Month: m, Day: d}
}

// nullID is the SQL value of an optional id.
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return id
}
