-- The full members (正式党员) an organisation has now: whether a branch has a 支部委员会 to meet
-- monthly (《中国共产党支部工作条例（试行）》第十条: 7 or more). Kept by every writer of a member's
-- status or organisation in its transaction (`life::committee::recount`), rebuilt with the
-- roll-ups, so that a node's figures read it with the organisation instead of counting a
-- province's members.
ALTER TABLE orgs ADD COLUMN full_members {int} NOT NULL DEFAULT 0;
UPDATE orgs SET full_members = (SELECT COUNT(*) FROM members m WHERE m.org_id = orgs.id AND m.status = 'full');
