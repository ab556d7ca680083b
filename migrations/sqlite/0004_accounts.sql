-- Sign-in: credentials, sessions and the count of failed sign-ins. Ordinary tables, not events:
-- a password hash never enters the stream, and a session is not something that happened to
-- the account's data.

-- One email address and argon2id hash (PHC string) per account.
CREATE TABLE credentials (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL
);

-- Signed-in browsers. The cookie holds a random token; only its SHA-256 is stored, so a copy
-- of the database does not let anyone in.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
);

CREATE INDEX sessions_by_account ON sessions (account_id);

-- Failed sign-ins per email address (lower case), to slow down guessing.
CREATE TABLE sign_in_failures (
    email          TEXT    PRIMARY KEY,
    failures       INTEGER NOT NULL,
    last_failed_at TEXT    NOT NULL
);

-- A refused plain form post is shown only to the browser session that made it.
ALTER TABLE form_refusals ADD COLUMN session TEXT;

-- The command side's record of each account's interactions, written in the same transaction
-- as each append, so a correction or removal of an interaction that is not (or no longer)
-- there is refused at once. `contact_key` follows the contact through renames.
CREATE TABLE known_interactions (
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    id          INTEGER NOT NULL,
    contact_key TEXT    NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
