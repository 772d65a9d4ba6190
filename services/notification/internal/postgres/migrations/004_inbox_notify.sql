-- Live inbox: every statement that adds inbox items notifies the channel inbox_items, at
-- commit, with the recipients it touched (user ids for items addressed to users, unit ids
-- for units' items), comma-separated; an empty payload (too many recipients for one
-- notification) means "anyone may have new items". WatchInbox listens instead of polling.

CREATE FUNCTION inbox_items_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    recipients text;
BEGIN
    SELECT string_agg(DISTINCT coalesce(user_id, unit_id)::text, ',') INTO recipients FROM new_items;
    IF recipients IS NULL THEN
        RETURN NULL;
    END IF;
    -- A notification carries at most 8000 bytes.
    IF length(recipients) > 7900 THEN
        recipients := '';
    END IF;
    PERFORM pg_notify('inbox_items', recipients);
    RETURN NULL;
END;
$$;

CREATE TRIGGER inbox_items_notify AFTER INSERT ON inbox_items
    REFERENCING NEW TABLE AS new_items
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_items_notify();
