-- Organisational life (issue 6): meetings of an organisation with the attendance derived from its
-- register, the quorum computed from that attendance (`domain::meeting`), and resolutions whose
-- outcome is computed from their votes. Nothing here is edited once recorded except the minutes,
-- until they are approved.
CREATE TABLE meetings (
    id {id},
    org_id {int} NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    notice_sent_on TEXT,
    agenda TEXT,
    minutes TEXT,
    minutes_approved_at {int},
    -- Members with a vote who should attend, and of them those present (counted, never typed).
    should_attend {int} NOT NULL,
    present {int} NOT NULL,
    quorate {int} NOT NULL,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX meetings_org ON meetings(org_id, held_on);
CREATE TABLE meeting_attendance (
    meeting_id {int} NOT NULL REFERENCES meetings(id),
    member_id {int} NOT NULL REFERENCES members(id),
    voting {int} NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('present', 'leave', 'absent')),
    reason TEXT,
    PRIMARY KEY (meeting_id, member_id)
);
CREATE INDEX meeting_attendance_member ON meeting_attendance(member_id);
CREATE TABLE resolutions (
    id {id},
    meeting_id {int} NOT NULL REFERENCES meetings(id),
    title TEXT NOT NULL,
    election {int} NOT NULL,
    ayes {int} NOT NULL,
    nays {int} NOT NULL,
    abstentions {int} NOT NULL,
    passed {int} NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX resolutions_meeting ON resolutions(meeting_id);
