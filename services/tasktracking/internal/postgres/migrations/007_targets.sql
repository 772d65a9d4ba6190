-- Targets (chỉ tiêu) of directing documents and the yearly measurements units report
-- against them (issue 3 item 5). Achievement is derived from the latest measurement,
-- never stored.

CREATE TABLE targets (
    id              uuid             PRIMARY KEY,
    document_id     uuid             NOT NULL REFERENCES documents (id),
    code            text             NOT NULL CHECK (code <> ''),
    metric          text             NOT NULL,
    unit_of_measure text             NOT NULL,
    comparator      text             NOT NULL CHECK (comparator IN ('at_least', 'more_than', 'at_most', 'less_than', 'equal')),
    value           double precision NOT NULL,
    start_year      integer          NOT NULL,
    end_year        integer          NOT NULL CHECK (end_year >= start_year),
    deadline        date,
    -- A tier of units ('province', 'district', 'commune'), or '' with named units.
    scope_level     text             NOT NULL CHECK (scope_level IN ('', 'province', 'district', 'commune')),
    scope_unit_ids  uuid[]           NOT NULL DEFAULT '{}',
    text            text             NOT NULL DEFAULT '',
    create_time     timestamptz      NOT NULL,
    CONSTRAINT targets_document_code_key UNIQUE (document_id, code),
    CHECK ((scope_level = '') <> (cardinality(scope_unit_ids) = 0))
);

-- Every measurement is kept; the latest per unit and year counts (a correction is a new row).
CREATE TABLE target_measurements (
    id          uuid             PRIMARY KEY,
    target_id   uuid             NOT NULL REFERENCES targets (id),
    unit_id     uuid             NOT NULL,
    year        integer          NOT NULL,
    value       double precision NOT NULL,
    note        text             NOT NULL DEFAULT '',
    recorded_by text             NOT NULL,
    record_time timestamptz      NOT NULL
);

CREATE INDEX target_measurements_latest_idx ON target_measurements (target_id, year, unit_id, record_time DESC, id DESC);
