-- Directing documents, their tasks and the units each task is assigned to.

-- pg_trgm backs the diacritic-insensitive "contains" search on the folded search column.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE documents (
    id                uuid        PRIMARY KEY,
    number            text        NOT NULL CHECK (number <> ''),
    kind              text        NOT NULL CHECK (kind IN ('plan', 'directive', 'decision', 'letter')),
    issuer_unit_id    uuid        NOT NULL, -- directory unit; checked through the directory API, not a foreign key
    signed_on         date        NOT NULL,
    title             text        NOT NULL CHECK (title <> ''),
    period_start_year integer     NOT NULL,
    period_end_year   integer     NOT NULL,
    status            text        NOT NULL CHECK (status IN ('issued', 'superseded')),
    -- vntext.Fold of number and title, written by the store: what search matches.
    search_text       text        NOT NULL,
    created_by        text        NOT NULL,
    create_time       timestamptz NOT NULL,
    update_time       timestamptz NOT NULL,
    -- The same number may be reused by different issuers, never by one issuer.
    CONSTRAINT documents_issuer_number_key UNIQUE (issuer_unit_id, number),
    CHECK (period_end_year >= period_start_year)
);

-- ListDocuments pages newest signing date first.
CREATE INDEX documents_signed_on_idx ON documents (signed_on DESC, id DESC);
CREATE INDEX documents_search_idx ON documents USING gin (search_text gin_trgm_ops);

CREATE TABLE tasks (
    id                     uuid        PRIMARY KEY,
    document_id            uuid        NOT NULL REFERENCES documents (id),
    -- Order of the task in the document's table.
    position               integer     NOT NULL,
    code                   text        NOT NULL CHECK (code <> ''),
    task_group             text        NOT NULL,
    content                text        NOT NULL,
    -- Start and deadline, as written and as read (see tracking.Timing); due is the computed
    -- end instant, NULL for kinds without one. The deadline columns are what overdue
    -- reminders will scan.
    start_kind             text        NOT NULL DEFAULT '',
    start_date             date,
    start_quarter          smallint    NOT NULL DEFAULT 0,
    start_year             integer     NOT NULL DEFAULT 0,
    start_end_year         integer     NOT NULL DEFAULT 0,
    start_text             text        NOT NULL DEFAULT '',
    start_due              timestamptz,
    deadline_kind          text        NOT NULL CHECK (deadline_kind <> ''),
    deadline_date          date,
    deadline_quarter       smallint    NOT NULL DEFAULT 0,
    deadline_year          integer     NOT NULL DEFAULT 0,
    deadline_end_year      integer     NOT NULL DEFAULT 0,
    deadline_text          text        NOT NULL DEFAULT '',
    deadline_due           timestamptz,
    expected_product       text        NOT NULL DEFAULT '',
    criteria_codes         text[]      NOT NULL DEFAULT '{}',
    create_time            timestamptz NOT NULL,
    CONSTRAINT tasks_document_code_key UNIQUE (document_id, code),
    CONSTRAINT tasks_document_position_key UNIQUE (document_id, position)
);

CREATE INDEX tasks_deadline_due_idx ON tasks (deadline_due) WHERE deadline_due IS NOT NULL;

-- One row per unit taking part in a task. The primary key is the store's guard for "a unit
-- is either lead or cooperating on a task, never both"; the rows are also where per-unit
-- progress will attach.
CREATE TABLE task_assignments (
    task_id  uuid    NOT NULL REFERENCES tasks (id),
    unit_id  uuid    NOT NULL,
    role     text    NOT NULL CHECK (role IN ('lead', 'cooperating')),
    -- Order of the unit within its role, as the document lists it.
    position integer NOT NULL,
    PRIMARY KEY (task_id, unit_id)
);

-- ListTasks by unit.
CREATE INDEX task_assignments_unit_idx ON task_assignments (unit_id, task_id);
