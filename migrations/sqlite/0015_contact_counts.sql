-- How many contacts each account has, kept by the contacts projection beside its rows: the
-- list counted them on every request. An account without contacts has no row.
CREATE TABLE projected_contact_counts (
    account_id INTEGER PRIMARY KEY,
    contacts   INTEGER NOT NULL
);
INSERT INTO projected_contact_counts (account_id, contacts)
    SELECT account_id, COUNT(*) FROM projected_contacts GROUP BY account_id;
