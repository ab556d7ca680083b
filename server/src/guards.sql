-- The CRM's guards as the batch append calls them on PostgreSQL (see guards.rs): the contacts'
-- first, then the morning email's; only the contacts' records what a stored event adds.

CREATE OR REPLACE FUNCTION kith_guard_check(account bigint, facts jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    refusal jsonb := kith_contacts_check(account, facts);
BEGIN
    IF refusal IS NOT NULL THEN
        RETURN refusal;
    END IF;
    RETURN kith_meetings_check(account, facts);
END
$$;

CREATE OR REPLACE FUNCTION kith_guard_record(account bigint, event bigint, facts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM kith_contacts_record(account, event, facts);
END
$$;
