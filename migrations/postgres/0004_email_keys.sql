-- Addresses are unique, and found at sign-in, by their folded form computed in Rust
-- (app::account::email_key), the same on both databases. Rows from before are filled in at
-- start-up (server/src/accounts/mod.rs, fold_email_keys).
ALTER TABLE credentials ADD COLUMN email_key TEXT;
CREATE UNIQUE INDEX credentials_by_email_key ON credentials (email_key);
