-- Transfers to and from organisations outside the system (转出/转入系统外, e.g. another province):
-- the side outside is named in `counterpart`, its organisation id is NULL. `direction` says which
-- kind a row is; the check below keeps every row one of the three shapes. Backend-specific: SQLite
-- rebuilds the table (it cannot drop NOT NULL), PostgreSQL alters it in place.
ALTER TABLE transfers ALTER COLUMN from_org_id DROP NOT NULL;
ALTER TABLE transfers ALTER COLUMN to_org_id DROP NOT NULL;
ALTER TABLE transfers ADD COLUMN direction TEXT NOT NULL DEFAULT 'within';
ALTER TABLE transfers ADD COLUMN counterpart TEXT;
ALTER TABLE transfers ADD CONSTRAINT transfers_shape CHECK (
    (direction = 'within' AND from_org_id IS NOT NULL AND to_org_id IS NOT NULL)
    OR (direction = 'out' AND from_org_id IS NOT NULL AND to_org_id IS NULL AND counterpart IS NOT NULL)
    OR (direction = 'in' AND from_org_id IS NULL AND to_org_id IS NOT NULL AND counterpart IS NOT NULL));
CREATE INDEX transfers_from ON transfers(from_org_id, status);
