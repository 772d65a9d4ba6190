-- Remediation tasks (issue 3 item 9): the actions of an explanation's committed roadmap
-- (lộ trình khắc phục, Art. 16.4), created as tasks of one remediation document per
-- explanation from accountability's RoadmapCommitted event.

-- One remediation document per explanation: the primary key is what keeps a second
-- RoadmapCommitted of the same explanation (a redelivery under another event id) from
-- creating the tasks twice.
CREATE TABLE remediation_documents (
    explanation_id uuid        PRIMARY KEY,
    document_id    uuid        NOT NULL UNIQUE REFERENCES documents (id),
    -- The event that created it (Nats-Msg-Id), for tracing a document back to its cause.
    event_id       text        NOT NULL,
    create_time    timestamptz NOT NULL
);

-- The link of each remediation task to its explanation and roadmap action. What the
-- explanation was about is copied from the event: accountability owns it, and the task
-- must still read right if the explanation changes later.
CREATE TABLE task_remediations (
    task_id           uuid    PRIMARY KEY REFERENCES tasks (id),
    explanation_id    uuid    NOT NULL REFERENCES remediation_documents (explanation_id),
    action_id         uuid    NOT NULL UNIQUE,
    explanation_year  integer NOT NULL,
    node_code         text    NOT NULL,
    explanation_title text    NOT NULL,
    explained_unit_id text    NOT NULL
);

-- ListTasks and ListOccurrences by explanation.
CREATE INDEX task_remediations_explanation_idx ON task_remediations (explanation_id, task_id);
