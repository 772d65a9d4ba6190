-- Incomplete methodology nodes (a decision whose figures are not all known), assessment
-- rounds, self-assessment, appraisal with its full history, survey-sourced scores, and the
-- public QR-code feedback channel.

-- A node whose maximum is not known keeps 0 and says so; the sum rule skips it.
ALTER TABLE criteria_node
    ADD COLUMN incomplete boolean NOT NULL DEFAULT false,
    ADD COLUMN note       text    NOT NULL DEFAULT '',
    DROP CONSTRAINT criteria_node_max_points_check,
    ADD CONSTRAINT criteria_node_max_points_check CHECK (max_points <> 0 OR incomplete);

ALTER TABLE criteria_set ADD COLUMN note text NOT NULL DEFAULT '';

CREATE TABLE assessment_round (
    id                       uuid PRIMARY KEY,
    year                     integer     NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    level                    text        NOT NULL CHECK (level <> ''),
    criteria_set_id          uuid        NOT NULL REFERENCES criteria_set (id),
    subject_kind             text        NOT NULL,
    name                     text        NOT NULL CHECK (name <> ''),
    self_assessment_deadline timestamptz NOT NULL,
    -- NULL: no response round; the second review may follow the first directly.
    response_deadline        timestamptz,
    opened_by                text        NOT NULL,
    created_at               timestamptz NOT NULL
);

CREATE INDEX assessment_round_list_idx ON assessment_round (year DESC, id DESC);

-- One row per unit scored in a round: where it stands.
CREATE TABLE round_subject (
    round_id     uuid        NOT NULL REFERENCES assessment_round (id) ON DELETE CASCADE,
    unit_id      uuid        NOT NULL,
    unit_code    text        NOT NULL DEFAULT '',
    unit_name    text        NOT NULL DEFAULT '',
    ordinal      integer     NOT NULL,
    state        text        NOT NULL DEFAULT 'draft'
                             CHECK (state IN ('draft', 'submitted', 'appraised', 'finalised')),
    submitted_at timestamptz,
    submitted_by text        NOT NULL DEFAULT '',
    appraised_at timestamptz,
    finalised_at timestamptz,
    finalised_by text        NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, unit_id)
);

-- One row per leaf item a unit has touched (self-assessed, appraised or imported).
CREATE TABLE item_score (
    round_id         uuid         NOT NULL,
    unit_id          uuid         NOT NULL,
    code             text         NOT NULL,
    self_score       numeric(7,2),
    declared_figures text         NOT NULL DEFAULT '',
    evidence         text[]       NOT NULL DEFAULT '{}',
    explanation      text         NOT NULL DEFAULT '',
    -- '' (none yet), 'accepted' or 'adjusted'; survey items are 'accepted' on import.
    decision         text         NOT NULL DEFAULT '' CHECK (decision IN ('', 'accepted', 'adjusted')),
    appraised_score  numeric(7,2),
    appraisal_reason text         NOT NULL DEFAULT '',
    unit_response    text         NOT NULL DEFAULT '',
    final_score      numeric(7,2),
    PRIMARY KEY (round_id, unit_id, code),
    FOREIGN KEY (round_id, unit_id) REFERENCES round_subject (round_id, unit_id) ON DELETE CASCADE
);

-- Every change of a score or of its justification: who, when, old, new, why. Append only.
CREATE TABLE score_change (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    round_id  uuid         NOT NULL,
    unit_id   uuid         NOT NULL,
    code      text         NOT NULL,
    stage     text         NOT NULL CHECK (stage IN ('self', 'appraisal', 'response', 'final', 'survey')),
    actor     text         NOT NULL,
    at        timestamptz  NOT NULL,
    old_score numeric(7,2),
    new_score numeric(7,2),
    reason    text         NOT NULL DEFAULT '',
    FOREIGN KEY (round_id, unit_id) REFERENCES round_subject (round_id, unit_id) ON DELETE CASCADE
);

CREATE INDEX score_change_unit_idx ON score_change (round_id, unit_id, id);

-- QR feedback codes (seed 003 item 6): one per unit or one-stop desk, revocable.
CREATE TABLE feedback_code (
    code       text PRIMARY KEY,
    unit_id    uuid        NOT NULL,
    desk       text        NOT NULL DEFAULT '',
    created_by text        NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_by text        NOT NULL DEFAULT ''
);

CREATE INDEX feedback_code_unit_idx ON feedback_code (unit_id, created_at DESC);

-- Citizens' answers. No personal data: no name, no address, no client address.
CREATE TABLE feedback (
    id              uuid PRIMARY KEY,
    code            text        NOT NULL REFERENCES feedback_code (code),
    unit_id         uuid        NOT NULL,
    desk            text        NOT NULL DEFAULT '',
    received_at     timestamptz NOT NULL,
    overall         smallint    NOT NULL CHECK (overall BETWEEN 1 AND 5),
    attitude        smallint    NOT NULL DEFAULT 0 CHECK (attitude BETWEEN 0 AND 5),
    guidance        smallint    NOT NULL DEFAULT 0 CHECK (guidance BETWEEN 0 AND 5),
    timeliness      smallint    NOT NULL DEFAULT 0 CHECK (timeliness BETWEEN 0 AND 5),
    -- NULL when not answered (seed 003 item 13: waiting time at one-stop desks).
    waiting_minutes integer CHECK (waiting_minutes BETWEEN 0 AND 1440),
    comment         text        NOT NULL DEFAULT ''
);

CREATE INDEX feedback_unit_time_idx ON feedback (unit_id, received_at);

---- create above / drop below ----

DROP TABLE feedback;
DROP TABLE feedback_code;
DROP TABLE score_change;
DROP TABLE item_score;
DROP TABLE round_subject;
DROP TABLE assessment_round;
ALTER TABLE criteria_set DROP COLUMN note;
ALTER TABLE criteria_node
    DROP CONSTRAINT criteria_node_max_points_check,
    DROP COLUMN note,
    DROP COLUMN incomplete;
ALTER TABLE criteria_node ADD CONSTRAINT criteria_node_max_points_check CHECK (max_points <> 0);
