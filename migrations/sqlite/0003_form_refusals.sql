-- Refused plain form posts (JavaScript off), kept briefly under a random token so the form's
-- page can show the messages and what was typed without putting either into the URL.
-- Not part of the event stream: nothing was stored, so nothing happened.
CREATE TABLE form_refusals (
    token      TEXT PRIMARY KEY,
    echo       TEXT NOT NULL CHECK (json_valid(echo)),
    created_at TEXT NOT NULL
);

CREATE INDEX form_refusals_by_age ON form_refusals (created_at);
