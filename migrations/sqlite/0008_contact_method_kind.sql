-- Contact events v2 keep the contact method structured, so the contact's page can offer an
-- email address, a phone number or a web address as a link. The projection keeps the kind
-- beside the text: 'email', 'phone', 'web' or 'other', NULL when there is no contact method.
-- Rows projected before this column existed have NULL here until a replay fills it from the
-- stream (`server replay contacts`); until then their contact methods show as plain text.
ALTER TABLE projected_contacts ADD COLUMN contact_method_kind TEXT;
