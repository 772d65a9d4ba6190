-- Channels beyond the unit inbox: items addressed to one user, e-mail and webhook
-- deliveries with their attempts, webhook subscriptions, preferences and escalation watches.

-- An item addressed to one user (the head who must explain, the secretariat's officers) has
-- user_id set; a unit's item has it NULL. A user with no unit still gets items.
ALTER TABLE inbox_items ADD COLUMN user_id uuid;
ALTER TABLE inbox_items ALTER COLUMN unit_id DROP NOT NULL;
ALTER TABLE inbox_items DROP CONSTRAINT inbox_items_event_unit_key;
-- At most one item per (event, recipient): a unit, or a user.
CREATE UNIQUE INDEX inbox_items_event_recipient_key ON inbox_items (event_id, unit_id, user_id) NULLS NOT DISTINCT;
CREATE INDEX inbox_items_user_idx ON inbox_items (user_id, create_time DESC, id DESC) WHERE user_id IS NOT NULL;

-- E-mails and webhook calls to make. A row is written in the transaction that consumes the
-- event; the dispatcher claims due rows with a lease, sends, and records the outcome. The
-- unique key is the promise: one e-mail or call per (event, channel, recipient).
CREATE TABLE deliveries (
    id                uuid        PRIMARY KEY,
    event_id          text        NOT NULL,
    event_type        text        NOT NULL,
    channel           text        NOT NULL CHECK (channel IN ('email', 'webhook')),
    recipient         text        NOT NULL, -- e-mail address, or webhook subscription id
    subject           text        NOT NULL DEFAULT '',
    body              bytea       NOT NULL,
    -- pending: to send; sent; dead: attempts exhausted; digest: waits for the daily digest;
    -- digested: folded into a digest e-mail.
    state             text        NOT NULL CHECK (state IN ('pending', 'sent', 'dead', 'digest', 'digested')),
    attempts          integer     NOT NULL DEFAULT 0,
    next_attempt_time timestamptz NOT NULL,
    lease_until       timestamptz,
    last_error        text        NOT NULL DEFAULT '',
    create_time       timestamptz NOT NULL,
    sent_time         timestamptz,
    CONSTRAINT deliveries_event_channel_recipient_key UNIQUE (event_id, channel, recipient)
);
CREATE INDEX deliveries_due_idx ON deliveries (channel, next_attempt_time) WHERE state = 'pending';
CREATE INDEX deliveries_dead_idx ON deliveries (create_time DESC) WHERE state = 'dead';
CREATE INDEX deliveries_digest_idx ON deliveries (recipient) WHERE state = 'digest';

-- Every attempt, with its outcome.
CREATE TABLE delivery_attempts (
    delivery_id  uuid        NOT NULL REFERENCES deliveries (id),
    attempt      integer     NOT NULL,
    outcome      text        NOT NULL CHECK (outcome IN ('sent', 'failed')),
    detail       text        NOT NULL DEFAULT '',
    duration_ms  bigint      NOT NULL,
    attempt_time timestamptz NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- Agency systems receiving events over HTTP.
CREATE TABLE webhook_subscriptions (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL,
    url         text        NOT NULL,
    secret      text        NOT NULL,
    event_types text[]      NOT NULL DEFAULT '{}', -- empty: all
    active      boolean     NOT NULL DEFAULT true,
    create_time timestamptz NOT NULL
);

-- A user's choice per (event type, channel); no row means immediate.
CREATE TABLE preferences (
    user_id    uuid NOT NULL,
    event_type text NOT NULL,
    channel    text NOT NULL CHECK (channel IN ('inbox', 'email')),
    mode       text NOT NULL CHECK (mode IN ('immediate', 'digest', 'off')),
    PRIMARY KEY (user_id, event_type, channel)
);

-- Explanation requests and overdue tasks waiting for a reaction; escalated to the
-- secretariat when due_time passes first.
CREATE TABLE escalations (
    key             text        PRIMARY KEY, -- "explanation:<id>" or "occurrence:<id>"
    source_event_id text        NOT NULL,
    event_type      text        NOT NULL,
    title           text        NOT NULL,
    body            text        NOT NULL,
    link            text        NOT NULL,
    due_time        timestamptz NOT NULL,
    state           text        NOT NULL CHECK (state IN ('waiting', 'reacted', 'escalated')),
    change_time     timestamptz NOT NULL
);
CREATE INDEX escalations_due_idx ON escalations (due_time) WHERE state = 'waiting';
