-- Addresses are unique by email_key alone (0004), as on SQLite: lower(email) was a second
-- rule that differed from the first and from SQLite's.
DROP INDEX credentials_email_key;
