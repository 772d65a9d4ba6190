-- The directory: administrative levels and unit kinds as data, the unit tree, users and
-- head tenures. Levels and kinds are rows so the same schema serves the 3-tier history
-- (province → district → commune) and the 2-tier structure in force since 1/7/2025.

-- pg_trgm backs diacritic-insensitive "contains" search on folded columns; btree_gist lets
-- one exclusion constraint forbid overlapping tenures per unit and kind.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Vietnamese ordering for names people read (ă after a, đ after d, tones by the alphabet).
CREATE COLLATION IF NOT EXISTS vi (provider = icu, locale = 'vi');

CREATE TABLE unit_levels (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name text NOT NULL CHECK (name <> ''),
    -- Depth from the top (1 = province); a unit's rank is never smaller than its parent's.
    rank integer NOT NULL CHECK (rank BETWEEN 1 AND 20)
);

CREATE TABLE unit_kinds (
    code text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
    name text NOT NULL CHECK (name <> '')
);

INSERT INTO unit_levels (code, name, rank) VALUES
    ('province', 'Cấp tỉnh', 1),
    ('district', 'Cấp huyện', 2),
    ('commune', 'Cấp xã', 3);

INSERT INTO unit_kinds (code, name) VALUES
    ('province', 'Tỉnh, thành phố'),
    ('department', 'Sở, ban, ngành'),
    ('provincial_unit', 'Đơn vị sự nghiệp cấp tỉnh'),
    ('central_agency', 'Cơ quan Trung ương đóng trên địa bàn'),
    ('district', 'Huyện, thị xã, thành phố thuộc tỉnh'),
    ('district_office', 'Phòng, ban cấp huyện'),
    ('commune', 'Xã, phường, thị trấn'),
    ('other', 'Khác');

CREATE TABLE units (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code text COLLATE "C" NOT NULL,
    name text NOT NULL CHECK (name <> ''),
    short_name text NOT NULL DEFAULT '',
    kind text NOT NULL REFERENCES unit_kinds (code),
    level text NOT NULL REFERENCES unit_levels (code),
    parent_id uuid REFERENCES units (id),
    valid_from date,
    valid_to date,
    -- vntext.Fold of name, short name and code, written by the store: what search matches.
    search_fold text NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT units_code_key UNIQUE (code),
    CONSTRAINT units_not_own_parent CHECK (parent_id <> id),
    CONSTRAINT units_valid_range CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);

CREATE INDEX units_parent_idx ON units (parent_id);
CREATE INDEX units_level_idx ON units (level);
CREATE INDEX units_kind_idx ON units (kind);
CREATE INDEX units_search_fold_trgm ON units USING gin (search_fold gin_trgm_ops);

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    subject text NOT NULL,
    display_name text COLLATE vi NOT NULL CHECK (display_name <> ''),
    -- vntext.Fold of the display name, written by the store.
    display_name_fold text NOT NULL,
    email text NOT NULL DEFAULT '',
    unit_id uuid NOT NULL REFERENCES units (id),
    -- Role codes as carried in tokens (secretariat, appraiser, ...).
    roles text[] NOT NULL CHECK (cardinality(roles) >= 1),
    active boolean NOT NULL DEFAULT true,
    create_time timestamptz NOT NULL DEFAULT now(),
    update_time timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_subject_key UNIQUE (subject)
);

CREATE INDEX users_unit_idx ON users (unit_id);
CREATE INDEX users_roles_idx ON users USING gin (roles);
CREATE INDEX users_display_name_fold_trgm ON users USING gin (display_name_fold gin_trgm_ops);
CREATE INDEX users_order_idx ON users (display_name, id);

CREATE TABLE head_tenures (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    unit_id uuid NOT NULL REFERENCES units (id),
    person_name text NOT NULL CHECK (person_name <> ''),
    title text NOT NULL DEFAULT '',
    -- Acting heads (quyền / phụ trách, 002 Art. 2.4) have their own, parallel history.
    acting boolean NOT NULL,
    start_date date NOT NULL,
    -- NULL while the tenure is open.
    end_date date,
    user_id uuid REFERENCES users (id),
    note text NOT NULL DEFAULT '',
    create_time timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT head_tenures_valid_range CHECK (end_date IS NULL OR end_date >= start_date),
    -- The last line of defence behind the domain rule: one substantive and one acting
    -- head per unit on any day.
    CONSTRAINT head_tenures_no_overlap EXCLUDE USING gist (
        unit_id WITH =,
        acting WITH =,
        daterange(start_date, end_date, '[]') WITH &&
    )
);

CREATE INDEX head_tenures_unit_start_idx ON head_tenures (unit_id, start_date DESC, id DESC);
