-- A district chairman's yearly report of the evaluation and classification of the commune
-- chairmen under the district, sent to the Department of Home Affairs (seed 002, QĐ
-- 3373/QĐ-UBND Art. 21.4). One report per district and year; submitting again replaces it
-- and counts a revision (the audit trail keeps every version).

CREATE TABLE district_report (
    id               uuid        PRIMARY KEY,
    province_unit_id uuid        NOT NULL,
    year             integer     NOT NULL,
    district_unit_id uuid        NOT NULL,
    revision         integer     NOT NULL CHECK (revision > 0),
    document_number  text        NOT NULL DEFAULT '',
    summary          text        NOT NULL DEFAULT '',
    -- The commune chairmen as reported: evaluation, tier, rule and handling (Art. 19.2).
    lines            jsonb       NOT NULL,
    -- Communes under the district with a published index and no evaluation.
    unevaluated      uuid[]      NOT NULL DEFAULT '{}',
    submitted_by     text        NOT NULL,
    submitter_name   text        NOT NULL DEFAULT '',
    submitted_at     timestamptz NOT NULL,
    UNIQUE (province_unit_id, year, district_unit_id)
);
