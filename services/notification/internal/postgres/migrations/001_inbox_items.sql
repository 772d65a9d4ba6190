-- The in-app inbox: one row per message a unit receives.

CREATE TABLE inbox_items (
    id          uuid        PRIMARY KEY,
    unit_id     uuid        NOT NULL, -- directory unit whose inbox holds the item
    event_id    text        NOT NULL, -- Nats-Msg-Id of the event that caused it
    event_type  text        NOT NULL, -- the event's subject
    title       text        NOT NULL,
    body        text        NOT NULL,
    link        text        NOT NULL DEFAULT '',
    urgent      boolean     NOT NULL DEFAULT false,
    read_time   timestamptz,
    create_time timestamptz NOT NULL,
    -- Second guard behind processed_events: an event reaches a unit's inbox at most once,
    -- even if it were handled twice.
    CONSTRAINT inbox_items_event_unit_key UNIQUE (event_id, unit_id)
);

-- A unit's inbox, newest first, all items or only the unread ones (which also serves the
-- unread count).
CREATE INDEX inbox_items_unit_idx ON inbox_items (unit_id, create_time DESC, id DESC);
CREATE INDEX inbox_items_unit_unread_idx ON inbox_items (unit_id, create_time DESC, id DESC)
    WHERE read_time IS NULL;
