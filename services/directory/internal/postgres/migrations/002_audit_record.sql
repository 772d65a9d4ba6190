-- The audit log of the whole platform (nhật ký thao tác): one row per mutation attempted
-- through any service's API, from the `<service>.v1.audit.recorded` events. Kept by the
-- directory because it is the service of people and units; read by the secretariat.
CREATE TABLE audit_record (
    id            uuid        PRIMARY KEY, -- record id (UUIDv7, from the producer)
    service       text        NOT NULL,
    method        text        NOT NULL,
    action        text        NOT NULL,
    actor_subject text        NOT NULL,
    actor_user_id text        NOT NULL DEFAULT '',
    actor_name    text        NOT NULL DEFAULT '',
    actor_roles   text[]      NOT NULL DEFAULT '{}',
    unit_id       text        NOT NULL DEFAULT '',
    resource      text        NOT NULL DEFAULT '',
    outcome       text        NOT NULL,
    occurred_at   timestamptz NOT NULL,
    trace_id      text        NOT NULL DEFAULT ''
);

-- Lists are newest first, with the id breaking ties, optionally narrowed by actor or unit.
CREATE INDEX audit_record_time ON audit_record (occurred_at DESC, id DESC);
CREATE INDEX audit_record_actor ON audit_record (actor_subject, occurred_at DESC);
CREATE INDEX audit_record_unit ON audit_record (unit_id, occurred_at DESC) WHERE unit_id <> '';
