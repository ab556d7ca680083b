-- An append writes `events` and, for a new interaction, `known_interactions`; each of their
-- foreign keys made PostgreSQL look up and lock the row it names, and write that lock to the
-- log, on every append: a fifth of what 8 writers could append (bench: 6,300-6,392 events/s
-- with the keys, 7,604-7,753 without, in the same hour). The store is their only writer and
-- takes each id from a row it has read: the event type from the registry it opens with, the
-- entity and the account from the signed-in actor; nothing deletes those rows. SQLite keeps
-- its keys: there a key is a lookup, with no lock to write to the log.
ALTER TABLE events
    DROP CONSTRAINT events_event_type_id_fkey,
    DROP CONSTRAINT events_entity_id_fkey,
    DROP CONSTRAINT events_account_id_fkey;
ALTER TABLE known_interactions DROP CONSTRAINT known_interactions_account_id_fkey;
