-- Meeting notes are rendered when a page or the mailer shows them, off the thread that stores
-- events (see server/src/markdown.rs): the projections keep the Markdown only.
ALTER TABLE projected_contacts DROP COLUMN next_meeting_notes_html;
ALTER TABLE projected_meeting_notes_emails DROP COLUMN notes_html;

-- Names fold the same way for the duplicate check, the sort and the search, on both databases
-- (see server/src/names.rs): each contact keeps its folded name and the folded text to search,
-- compared as plain bytes (COLLATE "C", as SQLite compares). Rows from before are filled in at
-- start-up (name_keys_pending).
ALTER TABLE projected_contacts ADD COLUMN name_key TEXT COLLATE "C";
ALTER TABLE projected_contacts ADD COLUMN search_key TEXT COLLATE "C";

DROP INDEX projected_contacts_by_name;
DROP INDEX projected_contacts_by_last_interaction;
DROP INDEX projected_contacts_by_last_interaction_desc;
DROP INDEX projected_contacts_by_next_meeting;
DROP INDEX projected_contacts_by_next_meeting_desc;
CREATE INDEX projected_contacts_by_name ON projected_contacts (account_id, name_key, id);
CREATE INDEX projected_contacts_by_last_interaction
    ON projected_contacts (account_id, (last_interacted_on IS NULL), last_interacted_on, name_key, id);
CREATE INDEX projected_contacts_by_last_interaction_desc
    ON projected_contacts (account_id, (last_interacted_on IS NULL), last_interacted_on DESC, name_key, id);
CREATE INDEX projected_contacts_by_next_meeting
    ON projected_contacts (account_id, (next_meeting_at IS NULL), next_meeting_at, name_key, id);
CREATE INDEX projected_contacts_by_next_meeting_desc
    ON projected_contacts (account_id, (next_meeting_at IS NULL), next_meeting_at DESC, name_key, id);

-- One row while the keys of older rows (and the command side's, folded before by Rust's
-- lower case alone) wait to be folded again.
CREATE TABLE name_keys_pending (one BIGINT PRIMARY KEY);
INSERT INTO name_keys_pending (one) VALUES (1);
