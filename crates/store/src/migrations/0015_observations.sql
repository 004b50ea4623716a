-- Red observers (红色观察员, issue 6): a visit to a meeting of organisational life and what the
-- observer found there. The observer is an account (`observer_user_id`) or a person named on the
-- record; the name is kept either way, as it read on the day. Appended, never edited.
CREATE TABLE observations (
    id {id},
    meeting_id {int} NOT NULL REFERENCES meetings(id),
    observer_user_id {int} REFERENCES users(id),
    observer_name TEXT NOT NULL,
    findings TEXT NOT NULL,
    suggestions TEXT,
    created_by {int} REFERENCES users(id),
    created_at {int} NOT NULL
);
CREATE INDEX observations_meeting ON observations(meeting_id);
-- One record per observer and meeting.
CREATE UNIQUE INDEX observations_once ON observations(meeting_id, observer_name);
