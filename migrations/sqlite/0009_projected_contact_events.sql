-- Each contact's events, found by the contact's current name: a rename moves its rows to the
-- new name, and a deletion removes them. The contact's history and the event browser's contact
-- filter read it. Kept from the stream by the contact_events projection; event_id is the
-- event's position in the stream, so a rebuild reproduces every row.
CREATE TABLE projected_contact_events (
    event_id     INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL,
    contact_name TEXT    NOT NULL
);

CREATE INDEX projected_contact_events_by_contact
    ON projected_contact_events (account_id, contact_name, event_id);
