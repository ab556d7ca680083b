-- The morning email of meeting notes: the projection of the emails still to send, the email's
-- state on each contact, the mailer's own record of every delivery it tried, and the
-- scheduled jobs' last and next runs.

-- The emails still to send: one per contact whose next meeting has not had its email yet
-- (the seed's table, with what the email needs). A failed email stays, marked, until it is
-- retried, sent or given up; `retry_at` is when the mailer tries again by itself.
CREATE TABLE projected_meeting_notes_emails (
    account_id      INTEGER NOT NULL,
    contact_name    TEXT    NOT NULL,
    meeting_on      TEXT    NOT NULL,
    meeting_at      TEXT    NOT NULL,
    notes           TEXT    NOT NULL,
    notes_html      TEXT    NOT NULL,
    failed_at       TEXT,
    retry_at        TEXT,
    last_updated_at TEXT    NOT NULL,
    PRIMARY KEY (account_id, contact_name)
);

-- The mailer reads the emails whose day has come.
CREATE INDEX projected_meeting_notes_emails_by_day ON projected_meeting_notes_emails (meeting_on);

-- The same projection's memory of the meeting days whose email is done (sent, or given up), so
-- re-noting or moving back to such a meeting does not bring its email back.
CREATE TABLE projected_meeting_notes_emails_done (
    account_id   INTEGER NOT NULL,
    contact_name TEXT    NOT NULL,
    meeting_on   TEXT    NOT NULL,
    PRIMARY KEY (account_id, contact_name, meeting_on)
) WITHOUT ROWID;

-- The state of the morning email for the meeting on meeting_email_on, on the contact's page
-- (projected_contacts). It stays with that day when the meeting is re-noted or cancelled; the
-- last emailed day is remembered, so moving a meeting away and back still shows it was sent.
ALTER TABLE projected_contacts ADD COLUMN meeting_email_on TEXT;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_sent_at TEXT;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_failure TEXT;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_retry_at TEXT;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_given_up INTEGER NOT NULL DEFAULT 0;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_last_sent_on TEXT;
ALTER TABLE projected_contacts ADD COLUMN meeting_email_last_sent_at TEXT;
UPDATE projected_contacts SET meeting_email_on = substr(next_meeting_local, 1, 10)
    WHERE next_meeting_local IS NOT NULL;

-- The command side's record of each morning email the mailer has tried, one per contact and
-- meeting day. It is never rebuilt, so a replay of the projections cannot send an email again.
--   sending: claimed by one mailer (claimed_by, a token per claim) until lease_until; after
--            that, nobody knows whether it went
--   waiting: to be tried again from next_attempt_at
--   sent:    sent, and the sent event appended in the same transaction
--   failed:  waits for the account holder to ask for it again
--   given_up: the meeting's day ended first; it will not be sent
CREATE TABLE meeting_notes_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    contact_name    TEXT    NOT NULL,
    meeting_on      TEXT    NOT NULL,
    message_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('sending', 'waiting', 'sent', 'failed', 'given_up')),
    attempts        INTEGER NOT NULL,
    claimed_by      TEXT,
    lease_until     TEXT,
    next_attempt_at TEXT,
    last_error      TEXT,
    updated_at      TEXT    NOT NULL,
    UNIQUE (account_id, contact_name, meeting_on)
);

-- Scheduled jobs: when each last ran, what came of it, and when it runs next, so a stopped
-- scheduler shows in the health view.
CREATE TABLE jobs (
    name        TEXT PRIMARY KEY,
    runner      TEXT NOT NULL,
    last_run_at TEXT NOT NULL,
    last_result TEXT NOT NULL,
    last_error  TEXT,
    next_run_at TEXT NOT NULL
);
