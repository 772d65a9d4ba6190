-- The scheduler walks open occurrences in (due_time, id) order from where its previous batch
-- stopped. With the id in the index the walk is in exactly that order and stops at the
-- batch's LIMIT; with due_time alone a generic plan sorted every remaining candidate of the
-- window for each batch.
DROP INDEX occurrences_open_due_idx;
CREATE INDEX occurrences_open_due_idx ON occurrences (due_time, id)
    WHERE state IN ('not_started', 'received', 'in_progress', 'completion_reported');
