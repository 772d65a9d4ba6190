-- Tables every service gets from kit: the transactional outbox, the record of
-- events a consumer has already applied, and messages it gave up on.

-- One row per event written in the same transaction as the state change it
-- announces; the relay publishes rows in seq order and stamps published_at.
CREATE TABLE outbox_events (
    seq          bigserial   PRIMARY KEY,
    id           uuid        NOT NULL UNIQUE, -- Nats-Msg-Id: JetStream de-duplicates on it
    subject      text        NOT NULL,
    event_type   text        NOT NULL,        -- full protobuf message name
    payload      bytea       NOT NULL,        -- binary protobuf
    headers      jsonb       NOT NULL DEFAULT '{}', -- W3C trace context captured at write time
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

-- The relay only ever looks for unpublished rows, oldest first; published rows
-- stay (for a week) but drop out of this index.
CREATE INDEX outbox_events_unpublished ON outbox_events (seq) WHERE published_at IS NULL;

-- Written in the same transaction as a consumer's effect, so a redelivered
-- event is recognised and changes nothing.
CREATE TABLE processed_events (
    consumer     text        NOT NULL, -- durable consumer name
    event_id     text        NOT NULL, -- Nats-Msg-Id
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Messages a consumer terminated (gave up on, or ran out of deliveries), kept
-- for inspection and manual replay.
CREATE TABLE dead_letters (
    id         bigserial   PRIMARY KEY,
    consumer   text        NOT NULL,
    event_id   text        NOT NULL, -- empty when the message had no Nats-Msg-Id
    subject    text        NOT NULL,
    payload    bytea       NOT NULL,
    headers    jsonb       NOT NULL DEFAULT '{}',
    reason     text        NOT NULL,
    deliveries int         NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
