-- Methodologies (bộ tiêu chí) as versioned data: one criteria set per year, kind of scored
-- unit and decision, and its tree of fields → criteria → sub-criteria.

CREATE TABLE criteria_set (
    id           uuid PRIMARY KEY,
    year         integer      NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    subject_kind text         NOT NULL CHECK (subject_kind <> ''),
    name         text         NOT NULL CHECK (name <> ''),
    -- Empty when the set was not set by a numbered decision; part of the key all the same.
    decision     text         NOT NULL DEFAULT '',
    -- Two decimals, as every figure of the PAR index.
    max_points   numeric(7,2) NOT NULL CHECK (max_points > 0),
    created_at   timestamptz  NOT NULL,
    -- A new decision makes a new set; the same one twice is a mistake (AlreadyExists).
    CONSTRAINT criteria_set_year_kind_decision_key UNIQUE (year, subject_kind, decision)
);

-- Lists go newest year first, then newest set (ids are UUIDv7, ordered by time).
CREATE INDEX criteria_set_list_idx ON criteria_set (year DESC, id DESC);

CREATE TABLE criteria_node (
    criteria_set_id   uuid         NOT NULL REFERENCES criteria_set (id) ON DELETE CASCADE,
    code              text         NOT NULL,
    -- NULL for a field (a root).
    parent_code       text,
    -- Order in the flat list as created: parents before children.
    ordinal           integer      NOT NULL,
    name              text         NOT NULL,
    -- Negative for a penalty item.
    max_points        numeric(7,2) NOT NULL CHECK (max_points <> 0),
    guidance          text         NOT NULL DEFAULT '',
    required_evidence text         NOT NULL DEFAULT '',
    point_source      text         NOT NULL CHECK (point_source IN ('appraised', 'survey', 'imported')),
    bonus             boolean      NOT NULL DEFAULT false,
    max_not_sum       boolean      NOT NULL DEFAULT false,
    position          integer      NOT NULL CHECK (position > 0),
    PRIMARY KEY (criteria_set_id, code),
    CONSTRAINT criteria_node_ordinal_key UNIQUE (criteria_set_id, ordinal),
    -- The database keeps the tree whole even if a bug slips past the domain checks;
    -- scores recorded later point at (criteria_set_id, code) too.
    CONSTRAINT criteria_node_parent_fkey FOREIGN KEY (criteria_set_id, parent_code)
        REFERENCES criteria_node (criteria_set_id, code)
);

---- create above / drop below ----

DROP TABLE criteria_node;
DROP TABLE criteria_set;
