-- Evaluation of heads (seed 002 Art. 17) by a versioned policy per province, and the
-- proposals of sanctions and commendation (Art. 18, 19) decided by a person.

CREATE TABLE evaluation_policy (
    province_unit_id uuid        NOT NULL,
    version          integer     NOT NULL CHECK (version > 0),
    policy           jsonb       NOT NULL,
    created_by       text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (province_unit_id, version)
);

CREATE TABLE head_evaluation (
    id               uuid        PRIMARY KEY,
    province_unit_id uuid        NOT NULL,
    year             integer     NOT NULL,
    unit_id          uuid        NOT NULL,
    unit_kind        text        NOT NULL,
    head_user_id     text        NOT NULL DEFAULT '',
    head_name        text        NOT NULL DEFAULT '',
    tier             text        NOT NULL CHECK (tier IN ('excellent', 'good', 'completed', 'not_completed')),
    -- The rule that decided it (art17.1.a … d, art17.2, policy.fallback) and its basis.
    rule             text        NOT NULL,
    legal_basis      text        NOT NULL,
    explanation      text        NOT NULL,
    -- What the rule used: shown lines, and the raw input kept to recompute proposals.
    input_lines      jsonb       NOT NULL,
    input            jsonb       NOT NULL,
    policy_version   integer     NOT NULL,
    published_at     timestamptz,
    created_at       timestamptz NOT NULL,
    UNIQUE (year, unit_id)
);
CREATE INDEX head_evaluation_province_idx ON head_evaluation (province_unit_id, year);

CREATE TABLE sanction_proposal (
    id               uuid        PRIMARY KEY,
    province_unit_id uuid        NOT NULL,
    year             integer     NOT NULL,
    unit_id          uuid        NOT NULL,
    evaluation_id    uuid        NOT NULL REFERENCES head_evaluation,
    head_user_id     text        NOT NULL DEFAULT '',
    head_name        text        NOT NULL DEFAULT '',
    kind             text        NOT NULL,
    legal_basis      text        NOT NULL,
    evidence         jsonb       NOT NULL,
    status           text        NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
    decided_by       text        NOT NULL DEFAULT '',
    decision_note    text        NOT NULL DEFAULT '',
    decided_at       timestamptz,
    created_at       timestamptz NOT NULL,
    -- One proposal of each kind per head and year, however often evaluations are published.
    UNIQUE (year, unit_id, kind)
);
CREATE INDEX sanction_proposal_province_idx ON sanction_proposal (province_unit_id, year);

---- create above / drop below ----

DROP TABLE sanction_proposal;
DROP TABLE head_evaluation;
DROP TABLE evaluation_policy;
