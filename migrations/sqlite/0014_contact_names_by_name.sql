-- The command side finds a contact by its exact name before every append about it; without
-- an index that read went through every name of the account.
CREATE INDEX contact_names_by_name ON contact_names (account_id, name);
