-- The contacts projection, as in the seed. `id` is the id of the event that created the
-- contact, so a rebuild reproduces it; links still use the natural key (name, account).
CREATE TABLE projected_contacts (
    id                 INTEGER PRIMARY KEY,
    name               TEXT    NOT NULL,
    description        TEXT    NOT NULL DEFAULT '',
    contact_method     TEXT    NOT NULL DEFAULT '',
    account_id         INTEGER NOT NULL,
    last_interacted_on TEXT,
    next_meeting_notes TEXT,
    next_meeting_at    TEXT,
    last_updated_at    TEXT    NOT NULL
);

-- name and account_id form the natural key.
CREATE UNIQUE INDEX projected_contacts_natural_key ON projected_contacts (name, account_id);
CREATE INDEX projected_contacts_by_name ON projected_contacts (account_id, name COLLATE NOCASE);
