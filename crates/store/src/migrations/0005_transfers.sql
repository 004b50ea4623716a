-- Transfers of organisational relation (组织关系转接): the sending side issues a letter, the
-- receiving side confirms; meanwhile the member stays registered with the sender, "in transit".
CREATE TABLE transfers (
    id {id},
    member_id {int} NOT NULL REFERENCES members(id),
    from_org_id {int} NOT NULL REFERENCES orgs(id),
    to_org_id {int} NOT NULL REFERENCES orgs(id),
    letter_no TEXT NOT NULL,
    status TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    closed_on TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX transfers_member ON transfers(member_id);
CREATE INDEX transfers_to ON transfers(to_org_id, status);
-- At most one transfer in transit per member: never in two places at once.
CREATE UNIQUE INDEX transfers_one_open ON transfers(member_id) WHERE status = 'in_transit';
