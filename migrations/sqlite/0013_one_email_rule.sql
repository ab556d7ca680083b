-- Addresses are unique by email_key alone (0012), as on PostgreSQL: the column's own
-- UNIQUE COLLATE NOCASE folded ASCII letters only, a second rule that differed from the first
-- and from PostgreSQL's. Nothing refers to credentials, so the table is simply rebuilt.
CREATE TABLE credentials_by_key (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    email         TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    email_key     TEXT
);
INSERT INTO credentials_by_key (account_id, email, password_hash, created_at, email_key)
    SELECT account_id, email, password_hash, created_at, email_key FROM credentials;
DROP TABLE credentials;
ALTER TABLE credentials_by_key RENAME TO credentials;
CREATE UNIQUE INDEX credentials_by_email_key ON credentials (email_key);
