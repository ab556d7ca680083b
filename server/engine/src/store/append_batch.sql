-- A batch of appends in one statement on PostgreSQL (see appender.rs): the write lock, each
-- event's command-side checks, its insert and its records, in order, and one notification.
-- Called in autocommit, it is its own transaction: one round trip for the whole batch.
--
-- The application's guard defines the two functions it calls (see `PostgresGuard`):
--   kith_guard_check(account_id bigint, facts jsonb) RETURNS jsonb
--       NULL to accept the event, or the refusal; it must refuse before it writes anything.
--   kith_guard_record(account_id bigint, event_id bigint, facts jsonb) RETURNS void
-- `facts` is what the guard said the checks need to know of the event.
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
    newest   bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(write_lock);
    FOR at IN 1 .. coalesce(cardinality(payloads), 0) LOOP
        checked := facts[at]::jsonb;
        refusal := kith_guard_check(account_ids[at], checked);
        event_id := NULL;
        IF refusal IS NULL THEN
            INSERT INTO events (payload, event_type_id, entity_id, account_id, created_at)
            VALUES (payloads[at]::jsonb, event_type_ids[at], entity_ids[at], account_ids[at], stored_at)
            RETURNING id INTO event_id;
            PERFORM kith_guard_record(account_ids[at], event_id, checked);
            newest := event_id;
        END IF;
        RETURN NEXT;
    END LOOP;
    IF newest IS NOT NULL THEN
        PERFORM pg_notify('kith_events', newest::text);
    END IF;
END
$$;
