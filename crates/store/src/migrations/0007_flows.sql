-- Flowing members (流动党员): away from the register organisation for six months or more. The member
-- stays registered where they are; a flow says where they went, since when, and which organisation
-- in the system hosts them (a 流动党员党支部, a 小个专 committee), if any. Ended, never deleted.
CREATE TABLE member_flows (
    id {id},
    member_id {int} NOT NULL REFERENCES members(id),
    host_org_id {int} REFERENCES orgs(id),
    destination TEXT NOT NULL,
    certificate_no TEXT,
    away_since TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    ended_on TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX member_flows_member ON member_flows(member_id);
CREATE INDEX member_flows_host ON member_flows(host_org_id);
-- One open flow per member: a member is away in one place at a time.
CREATE UNIQUE INDEX member_flows_one_open ON member_flows(member_id) WHERE ended_on IS NULL;
