-- Occurrences of tasks, their lifecycle history and extension requests.

-- How often a document asks for progress reports; sets the periods of continuous tasks.
ALTER TABLE documents ADD COLUMN reporting_cycle text NOT NULL DEFAULT 'yearly'
    CHECK (reporting_cycle IN ('yearly', 'half_yearly', 'quarterly'));

-- One row per tracked instance of a task: one for a one-off task, one per year of a yearly
-- task, one per reporting period of a continuous task. Overdue and done on time/late are
-- derived from due_time, report_time and the clock, never stored.
CREATE TABLE occurrences (
    id                  uuid        PRIMARY KEY,
    task_id             uuid        NOT NULL REFERENCES tasks (id),
    document_id         uuid        NOT NULL REFERENCES documents (id),
    period_kind         text        NOT NULL CHECK (period_kind IN ('whole', 'year', 'half_year', 'quarter')),
    period_year         integer     NOT NULL DEFAULT 0,
    period_number       smallint    NOT NULL DEFAULT 0,
    -- The deadline in force (moved by approved extensions) and as first assigned; NULL for
    -- a conditional deadline.
    due_time            timestamptz,
    original_due_time   timestamptz,
    state               text        NOT NULL CHECK (state IN ('not_started', 'received', 'in_progress',
                                        'completion_reported', 'done', 'cancelled', 'recalled')),
    extensions_approved integer     NOT NULL DEFAULT 0 CHECK (extensions_approved >= 0),
    completion_note     text        NOT NULL DEFAULT '',
    receive_time        timestamptz,
    start_time          timestamptz,
    report_time         timestamptz,
    confirm_time        timestamptz,
    close_time          timestamptz,
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    CONSTRAINT occurrences_task_period_key UNIQUE (task_id, period_kind, period_year, period_number)
);

-- ListOccurrences pages by deadline, no deadline last.
CREATE INDEX occurrences_due_idx ON occurrences ((COALESCE(due_time, 'infinity'::timestamptz)), id);
CREATE INDEX occurrences_document_idx ON occurrences (document_id);
-- Overdue scans look only at open work.
CREATE INDEX occurrences_open_due_idx ON occurrences (due_time)
    WHERE state IN ('not_started', 'received', 'in_progress', 'completion_reported');

-- Requests for a later deadline. At most one waits for a decision per occurrence.
CREATE TABLE extension_requests (
    id                   uuid        PRIMARY KEY,
    occurrence_id        uuid        NOT NULL REFERENCES occurrences (id),
    reason               text        NOT NULL,
    proposed_due_date    date        NOT NULL,
    previous_due_time    timestamptz NOT NULL,
    requested_by_subject text        NOT NULL,
    requested_by_user_id text        NOT NULL,
    requested_by_unit_id text        NOT NULL,
    requested_by_name    text        NOT NULL,
    request_time         timestamptz NOT NULL,
    decision             text        NOT NULL CHECK (decision IN ('pending', 'approved', 'refused', 'lapsed')),
    decision_reason      text        NOT NULL DEFAULT '',
    decided_by_subject   text        NOT NULL DEFAULT '',
    decided_by_user_id   text        NOT NULL DEFAULT '',
    decided_by_unit_id   text        NOT NULL DEFAULT '',
    decided_by_name      text        NOT NULL DEFAULT '',
    decide_time          timestamptz
);

CREATE UNIQUE INDEX extension_requests_pending_key ON extension_requests (occurrence_id) WHERE decision = 'pending';

-- Every change of an occurrence: who (token subject, user, unit), when, from, to, why.
CREATE TABLE occurrence_history (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurrence_id uuid        NOT NULL REFERENCES occurrences (id),
    action        text        NOT NULL,
    from_state    text        NOT NULL,
    to_state      text        NOT NULL,
    actor_subject text        NOT NULL,
    actor_user_id text        NOT NULL,
    actor_unit_id text        NOT NULL,
    actor_name    text        NOT NULL,
    reason        text        NOT NULL,
    extension_id  uuid        REFERENCES extension_requests (id),
    time          timestamptz NOT NULL
);

CREATE INDEX occurrence_history_occurrence_idx ON occurrence_history (occurrence_id, id);
