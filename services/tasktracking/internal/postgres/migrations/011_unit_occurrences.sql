-- A unit's list of its occurrences in one role (ListOccurrences with a unit and a role: "my
-- open tasks due before …") read in list order from one index. Through the unit's task
-- assignments, a unit leading a thousand tasks made every list probe a thousand occurrences
-- to sort them, however short the page; here the walk stops at the page's last row.
--
-- One row per occurrence and unit taking part in its task (a unit is lead or cooperating,
-- never both: task_assignments' key), with what the list filters and sorts on. The triggers
-- below keep it in step with occurrences and task_assignments in the writing transaction,
-- so no code path can forget it. (A trigger sees what its transaction sees: a task's
-- assignments are written in the transaction that creates the task, so an occurrence added
-- later always finds them.)
CREATE TABLE unit_occurrences (
    unit_id       uuid        NOT NULL,
    role          text        NOT NULL,
    -- ListOccurrences' sort key: the deadline, no deadline last.
    due_key       timestamptz NOT NULL,
    occurrence_id uuid        NOT NULL,
    state         text        NOT NULL,
    PRIMARY KEY (unit_id, role, due_key, occurrence_id) INCLUDE (state)
);
-- The row of an occurrence, for the triggers' updates.
CREATE INDEX unit_occurrences_occurrence_idx ON unit_occurrences (occurrence_id);

INSERT INTO unit_occurrences (unit_id, role, due_key, occurrence_id, state)
SELECT a.unit_id, a.role, COALESCE(o.due_time, 'infinity'), o.id, o.state
FROM occurrences o JOIN task_assignments a ON a.task_id = o.task_id;

CREATE FUNCTION unit_occurrences_of_occurrence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO unit_occurrences (unit_id, role, due_key, occurrence_id, state)
        SELECT a.unit_id, a.role, COALESCE(NEW.due_time, 'infinity'), NEW.id, NEW.state
        FROM task_assignments a WHERE a.task_id = NEW.task_id
        ON CONFLICT DO NOTHING;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE unit_occurrences SET due_key = COALESCE(NEW.due_time, 'infinity'), state = NEW.state
        WHERE occurrence_id = NEW.id;
    ELSE
        DELETE FROM unit_occurrences WHERE occurrence_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER occurrences_unit_occurrences_insert AFTER INSERT OR DELETE ON occurrences
    FOR EACH ROW EXECUTE FUNCTION unit_occurrences_of_occurrence();
-- Only a change of what the list reads rewrites the rows.
CREATE TRIGGER occurrences_unit_occurrences_update AFTER UPDATE OF due_time, state ON occurrences
    FOR EACH ROW WHEN (OLD.due_time IS DISTINCT FROM NEW.due_time OR OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION unit_occurrences_of_occurrence();

CREATE FUNCTION unit_occurrences_of_assignment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM unit_occurrences u USING occurrences o
        WHERE o.task_id = OLD.task_id AND u.occurrence_id = o.id AND u.unit_id = OLD.unit_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO unit_occurrences (unit_id, role, due_key, occurrence_id, state)
        SELECT NEW.unit_id, NEW.role, COALESCE(o.due_time, 'infinity'), o.id, o.state
        FROM occurrences o WHERE o.task_id = NEW.task_id
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER task_assignments_unit_occurrences AFTER INSERT OR UPDATE OR DELETE ON task_assignments
    FOR EACH ROW EXECUTE FUNCTION unit_occurrences_of_assignment();
