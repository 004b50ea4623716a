-- Residents' voice (issue 5): problems reported by residents or taken by staff, with their history.
-- The row is the problem as its events left it (what lists read); the events are appended, never
-- edited, and replaying them through domain::voice gives the row back.
CREATE TABLE problems (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    -- SHA-256 of the tracking code the resident holds (the code itself is never stored).
    code_hash TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    category TEXT,
    body TEXT NOT NULL,
    location TEXT,
    -- The resident's phone, sealed like every phone (optional).
    contact_sealed {blob},
    status TEXT NOT NULL,
    owner TEXT,
    deadline TEXT,
    resolved_on TEXT,
    escalated {int} NOT NULL DEFAULT 0,
    score {int},
    merged_into {int} REFERENCES problems(id),
    filed_on TEXT NOT NULL,
    closed_on TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX problems_place ON problems(place_id, filed_on);
CREATE INDEX problems_status ON problems(status, deadline);

CREATE TABLE problem_events (
    problem_id {int} NOT NULL REFERENCES problems(id),
    seq {int} NOT NULL,
    event TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    on_date TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (problem_id, seq)
);
