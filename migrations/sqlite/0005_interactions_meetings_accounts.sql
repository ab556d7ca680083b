-- The rest of the seed's CRM in the projections: interactions and the next meeting (kept by
-- the projected_contacts listener, so a contact's page reads one projection), and the
-- accounts' settings (projected_accounts).

-- The next meeting: its UTC instant (for sorting), its local date and time as scheduled, the
-- Markdown notes, their sanitized HTML rendering and the start of their text for the list.
ALTER TABLE projected_contacts ADD COLUMN next_meeting_local TEXT;
ALTER TABLE projected_contacts ADD COLUMN next_meeting_time_zone TEXT;
ALTER TABLE projected_contacts ADD COLUMN next_meeting_notes_html TEXT;
ALTER TABLE projected_contacts ADD COLUMN next_meeting_notes_excerpt TEXT;

-- One index per order of the contacts list, matching its ORDER BY term for term (see
-- server/src/queries.rs), so a page is read in index order: by name (either way, read
-- backwards), and by each date in each direction with contacts without one last.
DROP INDEX projected_contacts_by_name;
CREATE INDEX projected_contacts_by_name ON projected_contacts (account_id, name COLLATE NOCASE, name);
CREATE INDEX projected_contacts_by_last_interaction
    ON projected_contacts (account_id, last_interacted_on IS NULL, last_interacted_on, name COLLATE NOCASE);
CREATE INDEX projected_contacts_by_last_interaction_desc
    ON projected_contacts (account_id, last_interacted_on IS NULL, last_interacted_on DESC, name COLLATE NOCASE);
CREATE INDEX projected_contacts_by_next_meeting
    ON projected_contacts (account_id, next_meeting_at IS NULL, next_meeting_at, name COLLATE NOCASE);
CREATE INDEX projected_contacts_by_next_meeting_desc
    ON projected_contacts (account_id, next_meeting_at IS NULL, next_meeting_at DESC, name COLLATE NOCASE);

-- Each contact's interactions. `id` is the id of the event that recorded it, which a rebuild
-- reproduces.
CREATE TABLE projected_contact_interactions (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL,
    contact_name    TEXT    NOT NULL,
    occurred_on     TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    note            TEXT    NOT NULL DEFAULT '',
    recorded_at     TEXT    NOT NULL,
    last_updated_at TEXT    NOT NULL
);

CREATE INDEX projected_contact_interactions_by_contact
    ON projected_contact_interactions (account_id, contact_name, occurred_on);

-- Each account's settings.
CREATE TABLE projected_accounts (
    account_id         INTEGER PRIMARY KEY,
    display_name       TEXT    NOT NULL,
    notes_email        TEXT    NOT NULL,
    time_zone          TEXT    NOT NULL,
    morning_email_hour INTEGER NOT NULL,
    last_updated_at    TEXT    NOT NULL
);
