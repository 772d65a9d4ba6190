-- A consumer batch writes thousands of inbox items in one COPY, and PostgreSQL pays per row
-- for every index and for the statement trigger's transition table (which copies each new
-- row). Two of those costs go (BenchmarkTaskEventStream; COPY of a batch about a quarter
-- cheaper):

-- The id of an item is derived from (event, unit, user) by the store (postgres.itemID), so
-- the primary key is the second guard behind processed_events — an event reaches a recipient
-- at most once — and the unique key beside it is redundant. Items written before keep their
-- random ids: an event of theirs handled again is still stopped by processed_events.
DROP INDEX inbox_items_event_recipient_key;

-- The store announces the recipients it wrote itself (Store.AddItems, Store.CopyNew), the
-- only writers of inbox_items, with the same channel and payload as the trigger.
DROP TRIGGER inbox_items_notify ON inbox_items;
DROP FUNCTION inbox_items_notify();
