-- A rebuild's progress on its projection's row, for the status view: events applied beside
-- the live tables out of the stream's length when it began, and when it began. NULL when no
-- rebuild runs.
ALTER TABLE projections ADD COLUMN rebuild_done INTEGER;
ALTER TABLE projections ADD COLUMN rebuild_total INTEGER;
ALTER TABLE projections ADD COLUMN rebuild_started_at TEXT;
