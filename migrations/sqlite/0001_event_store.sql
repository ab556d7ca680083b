-- The event store: who causes events, which types exist, the stream itself and how far each
-- projection has read it. Timestamps are RFC 3339 text in UTC.

-- Whoever causes an event: an account or a system process (the dispatcher, the mailer).
CREATE TABLE entities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT    NOT NULL CHECK (kind IN ('account', 'process')),
    name       TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

-- The people who keep contacts. Each is an entity; credentials arrive with sign-up.
CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    entity_id    INTEGER NOT NULL UNIQUE REFERENCES entities (id),
    display_name TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);

-- Every event type in every version, with the JSON Schema its payloads must match.
-- Registered from the files under schemas/ at start-up.
CREATE TABLE event_types (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    schema        TEXT    NOT NULL CHECK (json_valid(schema)),
    registered_at TEXT    NOT NULL,
    UNIQUE (name, version)
);

-- The stream. AUTOINCREMENT keeps ids growing even after deletions, and SQLite's single
-- writer commits them in id order, so "every event after id N" never misses one.
-- account_id is the account whose data the event is about, whoever caused it.
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    payload       TEXT    NOT NULL CHECK (json_valid(payload)),
    event_type_id INTEGER NOT NULL REFERENCES event_types (id),
    entity_id     INTEGER NOT NULL REFERENCES entities (id),
    account_id    INTEGER REFERENCES accounts (id),
    created_at    TEXT    NOT NULL,
    processed_at  TEXT
);

CREATE INDEX events_unprocessed ON events (id) WHERE processed_at IS NULL;
CREATE INDEX events_by_account ON events (account_id, id);

-- How far each projection has read the stream. A listener advances its row in the same
-- transaction as its table, even for events it ignores.
CREATE TABLE projections (
    name            TEXT    PRIMARY KEY,
    last_event_id   INTEGER NOT NULL DEFAULT 0,
    last_event_at   TEXT,
    last_updated_at TEXT
);

-- The command side's own record of which contact names each account uses, written in the
-- same transaction as each append, so a duplicate name is refused even when the projections
-- lag behind. `key` is the name folded to lower case: no two contacts of an account may differ
-- only in case. `name` is the spelling in use, which edits and deletions must name exactly.
CREATE TABLE contact_names (
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    key        TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
