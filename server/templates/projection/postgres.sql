-- projected_kith_template: the same table as in ../sqlite (ids BIGINT, instants TIMESTAMPTZ,
-- dates DATE, flags BOOLEAN); the test in server/tests/integration/backends.rs compares them.
CREATE TABLE projected_kith_template (
    account_id      BIGINT      NOT NULL,
    contact_name    TEXT        NOT NULL,
    last_updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, contact_name)
);
