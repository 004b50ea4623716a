-- Transfers to and from organisations outside the system (转出/转入系统外, e.g. another province):
-- the side outside is named in `counterpart`, its organisation id is NULL. `direction` says which
-- kind a row is; the check below keeps every row one of the three shapes. Backend-specific: SQLite
-- rebuilds the table (it cannot drop NOT NULL), PostgreSQL alters it in place.
CREATE TABLE transfers_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id INTEGER NOT NULL REFERENCES members(id),
    from_org_id INTEGER REFERENCES orgs(id),
    to_org_id INTEGER REFERENCES orgs(id),
    letter_no TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    closed_on TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    direction TEXT NOT NULL DEFAULT 'within',
    counterpart TEXT,
    CHECK ((direction = 'within' AND from_org_id IS NOT NULL AND to_org_id IS NOT NULL)
        OR (direction = 'out' AND from_org_id IS NOT NULL AND to_org_id IS NULL AND counterpart IS NOT NULL)
        OR (direction = 'in' AND from_org_id IS NULL AND to_org_id IS NOT NULL AND counterpart IS NOT NULL))
);
INSERT INTO transfers_new (id, member_id, from_org_id, to_org_id, letter_no, status, sent_on, closed_on, created_at, updated_at)
    SELECT id, member_id, from_org_id, to_org_id, letter_no, status, sent_on, closed_on, created_at, updated_at FROM transfers;
DROP TABLE transfers;
ALTER TABLE transfers_new RENAME TO transfers;
CREATE INDEX transfers_member ON transfers(member_id);
CREATE INDEX transfers_to ON transfers(to_org_id, status);
CREATE INDEX transfers_from ON transfers(from_org_id, status);
CREATE UNIQUE INDEX transfers_one_open ON transfers(member_id) WHERE status = 'in_transit';
