-- projected_kith_template: say what the table keeps. Kept from the stream by its projection
-- (server/src/kith_feature/); fill it for the events already stored with
-- `server replay projected_kith_template`.
CREATE TABLE projected_kith_template (
    account_id      INTEGER NOT NULL,
    contact_name    TEXT    NOT NULL,
    last_updated_at TEXT    NOT NULL,
    PRIMARY KEY (account_id, contact_name)
);
