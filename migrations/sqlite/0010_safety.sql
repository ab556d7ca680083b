-- What unauthenticated requests may leave behind is bounded (see server/src/accounts/throttle.rs).

-- Failed sign-ins are kept by the SHA-256 of the folded address (a fixed 64 characters, whatever
-- was typed), and the oldest go first once there are too many. Rows kept by the address itself
-- expire within a day.
CREATE INDEX sign_in_failures_by_age ON sign_in_failures (last_failed_at);

-- Sign-ups in the current hour per client address, and overall (client '*').
CREATE TABLE sign_up_attempts (
    client            TEXT    PRIMARY KEY,
    attempts          INTEGER NOT NULL,
    window_started_at TEXT    NOT NULL
);

-- Refusals kept for signed-out browsers are capped in number: the oldest go first.
CREATE INDEX form_refusals_signed_out ON form_refusals (created_at) WHERE session IS NULL;
