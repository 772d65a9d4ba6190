-- What the deadline scheduler has already noticed of each occurrence, so that a pass reads
-- only the occurrences with a notice possibly left to make instead of every open occurrence
-- whose deadline is in the window (at a million occurrences, a year of overdue work already
-- noticed made each pass read hundreds of thousands of rows to find a few hundred).
--
-- noticed_due_time is the deadline the progress is about and noticed_lead_seconds the
-- shortest lead time whose notice (sent or superseded) deadline_notices holds for it, 0 once
-- the overdue notice is made (which records every lead's notice too). They are a summary
-- written in the transaction that inserts the notices, never the proof: deadline_notices'
-- key still makes each notice exactly once. A deadline moved by an extension no longer
-- matches noticed_due_time, which arms the occurrence again.
ALTER TABLE occurrences
    ADD COLUMN noticed_due_time     timestamptz,
    ADD COLUMN noticed_lead_seconds bigint CHECK (noticed_lead_seconds >= 0);

UPDATE occurrences o SET noticed_due_time = n.due_time, noticed_lead_seconds = n.lead_seconds
FROM (SELECT occurrence_id, due_time, min(lead_seconds) AS lead_seconds
      FROM deadline_notices GROUP BY occurrence_id, due_time) n
WHERE n.occurrence_id = o.id AND n.due_time = o.due_time;

-- The occurrences that may still reach a notice: work expected (or reported complete after
-- the deadline, which the overdue rule counts) and the overdue notice of the deadline in
-- force not yet made. The scheduler walks it in (due_time, id) order; its predicate is
-- repeated word for word in the scheduler's query, which is how the planner matches it.
CREATE INDEX occurrences_notice_pending_idx ON occurrences (due_time, id)
    WHERE (state IN ('not_started', 'received', 'in_progress')
           OR (state = 'completion_reported' AND report_time > due_time))
      AND (noticed_due_time IS DISTINCT FROM due_time OR noticed_lead_seconds > 0);
