-- Published results (công bố kết quả): one immutable snapshot per year and kind of scored
-- unit, its subjects with their figures at every node, and per peer group the sums that give
-- the group's mean exactly.
--
-- Per-node figures are arrays indexed like node_codes, in integer hundredths of a point
-- (the PAR index has two decimals): one row per subject keeps a 10,000-unit publication at
-- 10,000 rows and a scorecard read at one. -4611686018427387904 (-2^62) in a score array
-- means "no figure"; 0 in a rank array means "not ranked".

CREATE TABLE result_snapshot (
    id               uuid        PRIMARY KEY,
    year             integer     NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    subject_kind     text        NOT NULL CHECK (subject_kind <> ''),
    criteria_set_id  uuid        NOT NULL REFERENCES criteria_set (id),
    source           text        NOT NULL CHECK (source IN ('appraised', 'imported')),
    decision         text        NOT NULL DEFAULT '',
    published_at     timestamptz NOT NULL,
    max_points       bigint      NOT NULL,
    prev_snapshot_id uuid        REFERENCES result_snapshot (id),
    subject_count    integer     NOT NULL,
    node_codes       text[]      NOT NULL,
    node_parents     text[]      NOT NULL,
    node_names       text[]      NOT NULL,
    node_max         bigint[]    NOT NULL,
    node_bonus       boolean[]   NOT NULL,
    -- Published results are frozen: a second publication of the same year and kind is refused.
    CONSTRAINT result_snapshot_year_kind_key UNIQUE (year, subject_kind)
);

CREATE TABLE result_subject (
    snapshot_id uuid     NOT NULL REFERENCES result_snapshot (id),
    ordinal     integer  NOT NULL,
    -- NULL for a subject kept only for rank context (another province of an imported file).
    unit_id     uuid,
    code        text     NOT NULL,
    name        text     NOT NULL DEFAULT '',
    peer_group  text     NOT NULL,
    total       bigint   NOT NULL,
    rank        integer  NOT NULL,
    rank_of     integer  NOT NULL,
    grade       text     NOT NULL DEFAULT '',
    prev_total  bigint   NOT NULL,
    prev_rank   integer  NOT NULL,
    scores      bigint[] NOT NULL,
    ranks       integer[] NOT NULL,
    prev_scores bigint[] NOT NULL,
    prev_ranks  integer[] NOT NULL,
    PRIMARY KEY (snapshot_id, ordinal),
    CONSTRAINT result_subject_code_key UNIQUE (snapshot_id, code)
);

-- Scorecards and history look a unit up across snapshots.
CREATE INDEX result_subject_unit_idx ON result_subject (unit_id, snapshot_id) WHERE unit_id IS NOT NULL;

CREATE TABLE result_peer (
    snapshot_id uuid      NOT NULL REFERENCES result_snapshot (id),
    peer_group  text      NOT NULL,
    sums        bigint[]  NOT NULL,
    counts      integer[] NOT NULL,
    PRIMARY KEY (snapshot_id, peer_group)
);

-- The database keeps published figures frozen even against a stray UPDATE or DELETE.
CREATE FUNCTION result_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published results are immutable (%)', TG_TABLE_NAME;
END $$;
CREATE TRIGGER result_snapshot_immutable BEFORE UPDATE OR DELETE ON result_snapshot
    FOR EACH ROW EXECUTE FUNCTION result_is_immutable();
CREATE TRIGGER result_subject_immutable BEFORE UPDATE OR DELETE ON result_subject
    FOR EACH ROW EXECUTE FUNCTION result_is_immutable();
CREATE TRIGGER result_peer_immutable BEFORE UPDATE OR DELETE ON result_peer
    FOR EACH ROW EXECUTE FUNCTION result_is_immutable();

---- create above / drop below ----

DROP TABLE result_peer;
DROP TABLE result_subject;
DROP TABLE result_snapshot;
DROP FUNCTION result_is_immutable();
