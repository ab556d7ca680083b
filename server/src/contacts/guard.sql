-- The contacts' guard (guard.rs) as PostgreSQL functions, for the batch append: the same
-- checks and records, statement for statement. `facts` is what `guard::facts` gives: the
-- event's kind, the names it uses and their keys, folded in Rust.

-- These two are PL/pgSQL, not SQL functions, so that each session plans their query once: an SQL
-- function called from PL/pgSQL is planned again in every transaction, which cost more than
-- the rest of an append's checks together.

-- The spelling in use of the account's contact named `wanted`, or else kept under `wanted_key`.
CREATE OR REPLACE FUNCTION kith_contacts_spelling(account bigint, wanted text, wanted_key text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT name FROM contact_names WHERE account_id = account AND (name = wanted OR key = wanted_key)
            ORDER BY CASE WHEN name = wanted THEN 0 ELSE 1 END LIMIT 1);
END
$$;

-- The key of the account's contact spelled exactly `wanted`, if there is one.
CREATE OR REPLACE FUNCTION kith_contacts_exactly(account bigint, wanted text)
RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT key FROM contact_names WHERE account_id = account AND name = wanted);
END
$$;

CREATE OR REPLACE FUNCTION kith_contacts_check(account bigint, facts jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    kind      text := facts->>'kind';
    existing  text;
    old_key   text;
BEGIN
    IF kind = 'contact_created' THEN
        existing := kith_contacts_spelling(account, facts->>'name', facts->>'key');
        IF existing IS NOT NULL THEN
            RETURN jsonb_build_object('refusal', 'duplicate', 'existing', existing);
        END IF;
        INSERT INTO contact_names (account_id, key, name) VALUES (account, facts->>'key', facts->>'name')
        ON CONFLICT (account_id, key) DO UPDATE SET name = excluded.name;
    ELSIF kind IN ('contact_edited', 'contact_deleted') THEN
        old_key := kith_contacts_exactly(account, facts->>'name');
        IF old_key IS NULL THEN
            RETURN jsonb_build_object('refusal', 'missing', 'name', facts->>'name');
        END IF;
        IF kind = 'contact_deleted' THEN
            DELETE FROM contact_names WHERE account_id = account AND key = old_key;
            DELETE FROM known_interactions WHERE account_id = account AND contact_key = old_key;
        ELSIF facts->>'new_name' IS NOT NULL THEN
            existing := kith_contacts_spelling(account, facts->>'new_name', facts->>'new_key');
            IF existing IS NOT NULL AND existing <> facts->>'name' THEN
                RETURN jsonb_build_object('refusal', 'duplicate', 'existing', existing);
            END IF;
            DELETE FROM contact_names WHERE account_id = account AND key = old_key;
            INSERT INTO contact_names (account_id, key, name)
            VALUES (account, facts->>'new_key', facts->>'new_name')
            ON CONFLICT (account_id, key) DO UPDATE SET name = excluded.name;
            UPDATE known_interactions SET contact_key = facts->>'new_key'
            WHERE account_id = account AND contact_key = old_key;
        END IF;
    ELSIF kind IN ('interaction_corrected', 'interaction_removed') THEN
        old_key := kith_contacts_exactly(account, facts->>'contact');
        IF old_key IS NULL THEN
            RETURN jsonb_build_object('refusal', 'missing', 'name', facts->>'contact');
        END IF;
        PERFORM FROM known_interactions
        WHERE account_id = account AND id = (facts->>'interaction')::bigint AND contact_key = old_key;
        IF NOT FOUND THEN
            RETURN jsonb_build_object('refusal', 'no_interaction');
        END IF;
        IF kind = 'interaction_removed' THEN
            DELETE FROM known_interactions WHERE account_id = account AND id = (facts->>'interaction')::bigint;
        END IF;
    ELSIF kind IN ('interaction_recorded', 'names_contact', 'email_requested') THEN
        IF kith_contacts_exactly(account, facts->>'contact') IS NULL THEN
            RETURN jsonb_build_object('refusal', 'missing', 'name', facts->>'contact');
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION kith_contacts_record(account bigint, event bigint, facts jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF facts->>'kind' = 'interaction_recorded' THEN
        -- Under the key of the contact spelled so, in the same statement (as guard.rs does).
        INSERT INTO known_interactions (account_id, id, contact_key)
        VALUES (account, event, coalesce(
            (SELECT key FROM contact_names WHERE account_id = account AND name = facts->>'contact'),
            facts->>'key'));
    END IF;
END
$$;
