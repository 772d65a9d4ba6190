-- Explanations of seed 002 (QĐ 3373/QĐ-UBND Thái Bình) Chapter III, the published results
-- that trigger them (Art. 14.1), and the audit trail of every change.

-- Art. 15: the article each matrix entry implements travels into the requests it decides.
ALTER TABLE responsibility_entry ADD COLUMN legal_basis text NOT NULL DEFAULT '';

-- Published results as received from PAR scoring (parscoring.v1.subject_result.published):
-- the basis of triggers (Art. 14.1), evaluations (Art. 17) and the 30-day report (Art. 20.2).
-- A correction of the same year's results replaces the earlier figures.
CREATE TABLE published_result (
    year           integer     NOT NULL,
    subject_kind   text        NOT NULL,
    unit_id        uuid        NOT NULL,
    snapshot_id    uuid        NOT NULL,
    source         text        NOT NULL,
    decision       text        NOT NULL DEFAULT '',
    publish_time   timestamptz NOT NULL,
    total          numeric(8,2),
    max_points     numeric(8,2),
    index_percent  numeric(8,2),
    previous_total numeric(8,2),
    rank           integer     NOT NULL DEFAULT 0,
    rank_of        integer     NOT NULL DEFAULT 0,
    received_at    timestamptz NOT NULL,
    PRIMARY KEY (year, subject_kind, unit_id)
);

CREATE TABLE published_node (
    year                integer NOT NULL,
    subject_kind        text    NOT NULL,
    unit_id             uuid    NOT NULL,
    code                text    NOT NULL,
    ordinal             integer NOT NULL,
    parent_code         text    NOT NULL DEFAULT '',
    name                text    NOT NULL DEFAULT '',
    score               numeric(8,2),
    max_points          numeric(8,2),
    previous_score      numeric(8,2),
    previous_max_points numeric(8,2),
    -- Bonus items (điểm khuyến khích) are excepted from Art. 17.1.d.
    bonus               boolean NOT NULL DEFAULT false,
    PRIMARY KEY (year, subject_kind, unit_id, code),
    FOREIGN KEY (year, subject_kind, unit_id) REFERENCES published_result ON DELETE CASCADE
);

CREATE TABLE explanation (
    id                   uuid        PRIMARY KEY,
    province_unit_id     uuid        NOT NULL,
    year                 integer     NOT NULL,
    -- score_fell: Art. 14.1 trigger; manual: Art. 12.2 / 14.2.
    kind                 text        NOT NULL CHECK (kind IN ('score_fell', 'manual')),
    node_code            text        NOT NULL DEFAULT '',
    title                text        NOT NULL,
    reason               text        NOT NULL,
    legal_basis          text        NOT NULL,
    unit_id              uuid        NOT NULL,
    head_user_id         text        NOT NULL DEFAULT '',
    head_name            text        NOT NULL DEFAULT '',
    cooperating_unit_ids uuid[]      NOT NULL DEFAULT '{}',
    score                numeric(8,2),
    previous_score       numeric(8,2),
    snapshot_id          uuid,
    due_date             date        NOT NULL,
    status               text        NOT NULL CHECK (status IN ('requested', 'submitted', 'returned', 'concluded')),
    content              jsonb       NOT NULL DEFAULT '{}',
    review_comment       text        NOT NULL DEFAULT '',
    determined_causes    jsonb       NOT NULL DEFAULT '{}',
    conclusion           text        NOT NULL DEFAULT '',
    submitted_at         timestamptz,
    concluded_at         timestamptz,
    published_at         timestamptz,
    -- Set once, when ExplanationOverdue is recorded: the event leaves exactly once.
    overdue_at           timestamptz,
    created_by           text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              integer     NOT NULL DEFAULT 1
);

-- Art. 14.1: exactly one request per year, node and unit, however often results arrive.
CREATE UNIQUE INDEX explanation_trigger_once ON explanation (year, node_code, unit_id) WHERE kind = 'score_fell';
CREATE INDEX explanation_unit_idx ON explanation (unit_id, year);
CREATE INDEX explanation_province_idx ON explanation (province_unit_id, year);
-- The overdue scheduler's scan.
CREATE INDEX explanation_due_idx ON explanation (due_date) WHERE overdue_at IS NULL AND status IN ('requested', 'returned');

-- The parts of cooperating units (Art. 15.6, 21.3), one per unit.
CREATE TABLE explanation_part (
    explanation_id uuid        NOT NULL REFERENCES explanation ON DELETE CASCADE,
    unit_id        uuid        NOT NULL,
    content        jsonb       NOT NULL DEFAULT '{}',
    updated_by     text        NOT NULL DEFAULT '',
    updated_at     timestamptz,
    PRIMARY KEY (explanation_id, unit_id)
);

-- Every state change, kept immutably (Art. 3.3: "công khai, minh bạch").
CREATE TABLE audit_record (
    id            bigserial   PRIMARY KEY,
    entity        text        NOT NULL,
    entity_id     text        NOT NULL,
    action        text        NOT NULL,
    actor_user_id text        NOT NULL DEFAULT '',
    actor_name    text        NOT NULL DEFAULT '',
    at            timestamptz NOT NULL,
    before        jsonb,
    after         jsonb,
    reason        text        NOT NULL DEFAULT ''
);
CREATE INDEX audit_record_entity_idx ON audit_record (entity, entity_id, id);

CREATE FUNCTION audit_record_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_record is append-only';
END $$;
CREATE TRIGGER audit_record_no_change BEFORE UPDATE OR DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_immutable();

---- create above / drop below ----

DROP TABLE audit_record;
DROP FUNCTION audit_record_immutable();
DROP TABLE explanation_part;
DROP TABLE explanation;
DROP TABLE published_node;
DROP TABLE published_result;
ALTER TABLE responsibility_entry DROP COLUMN legal_basis;
