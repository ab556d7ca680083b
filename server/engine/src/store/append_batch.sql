-- A batch of appends in one statement on PostgreSQL (see appender.rs): the write lock, each
-- event's command-side checks and records in order, the events in one insert, and one
-- notification. Called in autocommit, it is its own transaction: one round trip for the whole
-- batch.
--
-- The application's guard defines the two functions it calls (see `PostgresGuard`):
--   kith_guard_check(account_id bigint, facts jsonb) RETURNS jsonb
--       NULL to accept the event, or the refusal; it must refuse before it writes anything.
--   kith_guard_record(account_id bigint, event_id bigint, facts jsonb) RETURNS void
--       what an accepted event adds to the command side's records, under the id it will be
--       stored with: the event's row itself is inserted once the whole batch is checked.
-- `facts` is what the guard said the checks need to know of the event.
--
-- Each accepted event takes the next id of `events` as it is checked, under the write lock,
-- so ids still become visible in order; a refused one takes none. The batch's events then go
-- in with one INSERT, which costs an event a fraction of a statement of its own.
CREATE OR REPLACE FUNCTION kith_append_batch(
    write_lock     bigint,
    payloads       text[],
    event_type_ids bigint[],
    entity_ids     bigint[],
    account_ids    bigint[],
    facts          text[],
    stored_at      timestamptz
) RETURNS TABLE (event_id bigint, refusal jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    at       integer;
    checked  jsonb;
    ids      bigint[] := '{}';
    newest   bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(write_lock);
    FOR at IN 1 .. coalesce(cardinality(payloads), 0) LOOP
        checked := facts[at]::jsonb;
        refusal := kith_guard_check(account_ids[at], checked);
        event_id := NULL;
        IF refusal IS NULL THEN
            event_id := nextval('events_id_seq');
            PERFORM kith_guard_record(account_ids[at], event_id, checked);
            newest := event_id;
        END IF;
        ids := array_append(ids, event_id);
        RETURN NEXT;
    END LOOP;
    IF newest IS NOT NULL THEN
        INSERT INTO events (id, payload, event_type_id, entity_id, account_id, created_at)
        SELECT stored.id, stored.payload::jsonb, stored.event_type_id, stored.entity_id, stored.account_id,
               stored_at
        FROM unnest(ids, payloads, event_type_ids, entity_ids, account_ids)
             AS stored (id, payload, event_type_id, entity_id, account_id)
        WHERE stored.id IS NOT NULL;
        PERFORM pg_notify('kith_events', newest::text);
    END IF;
END
$$;
