-- The responsibility matrix of seed 002 Art. 15, one per province and year of the index.

CREATE TABLE responsibility_matrix (
    province_unit_id uuid        NOT NULL,
    year             integer     NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    -- Art. 15.7: each department head and district chairman answers for their own unit.
    units_own_index  boolean     NOT NULL,
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (province_unit_id, year)
);

CREATE TABLE responsibility_entry (
    province_unit_id     uuid    NOT NULL,
    year                 integer NOT NULL,
    node_code            text    NOT NULL,
    -- Order as given, so a matrix reads back the way it was typed.
    ordinal              integer NOT NULL,
    owner_unit_id        uuid    NOT NULL,
    cooperating_unit_ids uuid[]  NOT NULL DEFAULT '{}' CHECK (NOT owner_unit_id = ANY (cooperating_unit_ids)),
    PRIMARY KEY (province_unit_id, year, node_code),
    FOREIGN KEY (province_unit_id, year) REFERENCES responsibility_matrix ON DELETE CASCADE
);

-- "What does this unit answer for?" (evaluation of heads, Art. 17).
CREATE INDEX responsibility_entry_owner_idx ON responsibility_entry (owner_unit_id);

---- create above / drop below ----

DROP TABLE responsibility_entry;
DROP TABLE responsibility_matrix;
