-- A unit's list of occurrences (ListOccurrences with a unit) is answered from indexes alone:
-- the unit's tasks in one role from task_assignments_unit_role_idx, then each task's
-- occurrences with the state and deadline the list filters and sorts on from the task key,
-- which now carries them. Only the page's rows are then read from the tables.
CREATE INDEX task_assignments_unit_role_idx ON task_assignments (unit_id, role, task_id);
-- Its prefix serves everything the old (unit_id, task_id) index did.
DROP INDEX task_assignments_unit_idx;

-- The task key carries the columns rather than a second index on task_id: with two, the
-- planner may pick the narrower one and read the table after all.
ALTER TABLE occurrences DROP CONSTRAINT occurrences_task_period_key,
    ADD CONSTRAINT occurrences_task_period_key UNIQUE (task_id, period_kind, period_year, period_number)
        INCLUDE (state, due_time, id);
