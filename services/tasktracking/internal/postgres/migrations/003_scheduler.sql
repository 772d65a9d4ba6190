-- Deadline notices made by the scheduler (issue 3 item 7, seed 003 item 9).

-- One row per notice ever made: the primary key is what makes each notice exactly once,
-- whatever the number of replicas, restarts or clock jumps. The deadline is part of the key
-- so an approved extension, which moves it, arms the notices again for the new deadline.
-- The notice's event is written to the outbox in the same transaction as its row.
CREATE TABLE deadline_notices (
    occurrence_id uuid        NOT NULL REFERENCES occurrences (id),
    kind          text        NOT NULL CHECK (kind IN ('due_soon', 'report_due', 'overdue')),
    -- The lead time reached, in seconds; 0 for overdue.
    lead_seconds  bigint      NOT NULL CHECK (lead_seconds >= 0),
    -- The deadline in force when the notice was made.
    due_time      timestamptz NOT NULL,
    -- False for a notice superseded by a more urgent one reached at the same time: recorded
    -- so it is never sent late, but no event was written for it.
    emitted       boolean     NOT NULL,
    -- The scheduler's clock when the notice was made.
    emitted_at    timestamptz NOT NULL,
    PRIMARY KEY (occurrence_id, kind, lead_seconds, due_time)
);
