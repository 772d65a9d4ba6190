-- Progress reports, evidence documents and the reporting obligations of documents (issue 3,
-- item 4).

-- Evidence documents (tài liệu kiểm chứng). The content lives in the blob store under
-- blob_key (its SHA-256, so a file uploaded twice is stored once); this row is what the API
-- shows and what authorisation is checked against (the occurrence's task).
CREATE TABLE evidence (
    id                  uuid        PRIMARY KEY,
    occurrence_id       uuid        NOT NULL REFERENCES occurrences (id),
    unit_id             text        NOT NULL,
    file_name           text        NOT NULL CHECK (file_name <> ''),
    media_type          text        NOT NULL,
    size_bytes          bigint      NOT NULL CHECK (size_bytes >= 0),
    sha256              bytea       NOT NULL CHECK (length(sha256) = 32),
    blob_key            text        NOT NULL,
    description         text        NOT NULL DEFAULT '',
    uploaded_by_subject text        NOT NULL,
    uploaded_by_user_id text        NOT NULL,
    uploaded_by_unit_id text        NOT NULL,
    uploaded_by_name    text        NOT NULL,
    create_time         timestamptz NOT NULL
);

CREATE INDEX evidence_occurrence_idx ON evidence (occurrence_id, create_time, id);

-- One progress report per occurrence, reporting unit and period; reporting again replaces
-- it and counts the revision up.
CREATE TABLE progress_reports (
    id                  uuid        PRIMARY KEY,
    occurrence_id       uuid        NOT NULL REFERENCES occurrences (id),
    unit_id             text        NOT NULL,
    period_kind         text        NOT NULL CHECK (period_kind IN ('year', 'half_year', 'quarter')),
    period_year         integer     NOT NULL,
    period_number       smallint    NOT NULL DEFAULT 0,
    percent_done        smallint    NOT NULL CHECK (percent_done BETWEEN 0 AND 100),
    narrative           text        NOT NULL,
    -- [{"name": …, "value": …, "unit": …}], in the order given.
    figures             jsonb       NOT NULL DEFAULT '[]',
    evidence_ids        uuid[]      NOT NULL DEFAULT '{}',
    reported_by_subject text        NOT NULL,
    reported_by_user_id text        NOT NULL,
    reported_by_unit_id text        NOT NULL,
    reported_by_name    text        NOT NULL,
    revision            integer     NOT NULL DEFAULT 1,
    create_time         timestamptz NOT NULL,
    update_time         timestamptz NOT NULL,
    CONSTRAINT progress_reports_period_key UNIQUE (occurrence_id, unit_id, period_kind, period_year, period_number)
);

-- Reporting obligations of a document: who reports, to whom, how often, and how many days
-- after each period's end the report is due.
CREATE TABLE reporting_obligations (
    id                uuid        PRIMARY KEY,
    document_id       uuid        NOT NULL REFERENCES documents (id),
    cycle             text        NOT NULL CHECK (cycle IN ('yearly', 'half_yearly', 'quarterly')),
    recipient_unit_id uuid        NOT NULL,
    reporter_unit_ids uuid[]      NOT NULL,
    due_offset_days   integer     NOT NULL DEFAULT 0,
    text              text        NOT NULL DEFAULT '',
    created_by        text        NOT NULL,
    create_time       timestamptz NOT NULL
);

CREATE INDEX reporting_obligations_document_idx ON reporting_obligations (document_id, create_time);

-- One due report per obligation, reporting unit and period, tracked like an occurrence:
-- late is derived from due_time, submit_time and the clock, never stored.
CREATE TABLE due_reports (
    id                   uuid        PRIMARY KEY,
    obligation_id        uuid        NOT NULL REFERENCES reporting_obligations (id),
    document_id          uuid        NOT NULL REFERENCES documents (id),
    unit_id              uuid        NOT NULL,
    period_kind          text        NOT NULL CHECK (period_kind IN ('year', 'half_year', 'quarter')),
    period_year          integer     NOT NULL,
    period_number        smallint    NOT NULL DEFAULT 0,
    due_time             timestamptz NOT NULL,
    state                text        NOT NULL CHECK (state IN ('open', 'submitted')),
    submit_time          timestamptz,
    narrative            text        NOT NULL DEFAULT '',
    submitted_by_subject text        NOT NULL DEFAULT '',
    submitted_by_user_id text        NOT NULL DEFAULT '',
    submitted_by_unit_id text        NOT NULL DEFAULT '',
    submitted_by_name    text        NOT NULL DEFAULT '',
    create_time          timestamptz NOT NULL,
    update_time          timestamptz NOT NULL,
    CONSTRAINT due_reports_period_key UNIQUE (obligation_id, unit_id, period_kind, period_year, period_number)
);

CREATE INDEX due_reports_due_idx ON due_reports (due_time, id);
CREATE INDEX due_reports_unit_idx ON due_reports (unit_id, due_time);
-- The scheduler scans only what is still expected.
CREATE INDEX due_reports_open_due_idx ON due_reports (due_time) WHERE state = 'open';

-- Notices of due reports, made exactly once like deadline_notices: the key is the notice,
-- and its event is written to the outbox in the same transaction as its row.
CREATE TABLE due_report_notices (
    due_report_id uuid        NOT NULL REFERENCES due_reports (id),
    kind          text        NOT NULL CHECK (kind IN ('report_due', 'overdue')),
    lead_seconds  bigint      NOT NULL CHECK (lead_seconds >= 0),
    due_time      timestamptz NOT NULL,
    emitted       boolean     NOT NULL,
    emitted_at    timestamptz NOT NULL,
    PRIMARY KEY (due_report_id, kind, lead_seconds, due_time)
);
