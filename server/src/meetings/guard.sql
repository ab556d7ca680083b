-- The morning email's guard (guard.rs) as PostgreSQL functions, for the batch append: the
-- same checks and records. `facts` is what the contacts' guard gives (see `guard::facts`).

CREATE OR REPLACE FUNCTION kith_meetings_check(account bigint, facts jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    kind      text := facts->>'kind';
    delivery  bigint;
    state_now text;
BEGIN
    IF kind = 'contact_edited' AND facts->>'new_name' IS NOT NULL THEN
        UPDATE meeting_notes_deliveries SET contact_name = facts->>'new_name'
        WHERE account_id = account AND contact_name = facts->>'name';
    ELSIF kind = 'contact_deleted' THEN
        DELETE FROM meeting_notes_deliveries WHERE account_id = account AND contact_name = facts->>'name';
    ELSIF kind = 'email_requested' THEN
        SELECT id, state INTO delivery, state_now FROM meeting_notes_deliveries
        WHERE account_id = account AND contact_name = facts->>'contact'
          AND meeting_on = (facts->>'meeting_on')::date;
        IF delivery IS NULL THEN
            RETURN jsonb_build_object('refusal', 'no_failed_email');
        ELSIF state_now = 'failed' THEN
            UPDATE meeting_notes_deliveries
            SET state = 'waiting', next_attempt_at = NULL, lease_until = NULL, updated_at = now()
            WHERE id = delivery;
        ELSIF state_now = 'sent' THEN
            RETURN jsonb_build_object('refusal', 'already_sent');
        ELSIF state_now = 'given_up' THEN
            RETURN jsonb_build_object('refusal', 'day_over');
        ELSE
            RETURN jsonb_build_object('refusal', 'on_its_way');
        END IF;
    END IF;
    RETURN NULL;
END
$$;
