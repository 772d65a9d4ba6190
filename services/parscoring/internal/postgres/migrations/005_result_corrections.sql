-- Corrections of published results (đính chính): a snapshot stays frozen; a correction
-- publishes a new version of the same year and kind that supersedes it, with the reason and
-- who made it. Reads take the latest version; the old ones stay readable. The grade
-- thresholds a snapshot was graded with are kept so that a correction grades alike (NULL on
-- snapshots published before: the default groups).
ALTER TABLE result_snapshot
    ADD COLUMN version           integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    ADD COLUMN supersedes_id     uuid REFERENCES result_snapshot (id),
    ADD COLUMN correction_reason text    NOT NULL DEFAULT '',
    ADD COLUMN corrected_by      text    NOT NULL DEFAULT '',
    ADD COLUMN grade_labels      text[],
    ADD COLUMN grade_min         bigint[],
    DROP CONSTRAINT result_snapshot_year_kind_key,
    ADD CONSTRAINT result_snapshot_year_kind_version_key UNIQUE (year, subject_kind, version),
    -- A version is superseded at most once: two concurrent corrections cannot both win.
    ADD CONSTRAINT result_snapshot_supersedes_key UNIQUE (supersedes_id),
    ADD CONSTRAINT result_snapshot_correction_check
        CHECK ((version = 1) = (supersedes_id IS NULL) AND (supersedes_id IS NULL OR correction_reason <> ''));

---- create above / drop below ----

-- Dropping corrections would need deleting frozen rows: refuse unless there are none.
ALTER TABLE result_snapshot
    DROP CONSTRAINT result_snapshot_correction_check,
    DROP CONSTRAINT result_snapshot_supersedes_key,
    DROP CONSTRAINT result_snapshot_year_kind_version_key,
    ADD CONSTRAINT result_snapshot_year_kind_key UNIQUE (year, subject_kind),
    DROP COLUMN grade_min,
    DROP COLUMN grade_labels,
    DROP COLUMN corrected_by,
    DROP COLUMN correction_reason,
    DROP COLUMN supersedes_id,
    DROP COLUMN version;
