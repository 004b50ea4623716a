-- Party-representative studios (党代表工作室, issue 5): a studio at a place with its duty schedule
-- (an RFC 5545 RRULE, hours in Beijing time), the representatives who sit in it (dated), and the
-- residents received on duty days. A matter raised goes to the problem list (problem_id).
CREATE TABLE studios (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    address TEXT,
    rrule TEXT NOT NULL,
    since_on TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX studios_place ON studios(place_id);

CREATE TABLE studio_reps (
    id {id},
    studio_id {int} NOT NULL REFERENCES studios(id),
    member_id {int} NOT NULL REFERENCES members(id),
    from_on TEXT NOT NULL,
    until_on TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX studio_reps_studio ON studio_reps(studio_id);
CREATE INDEX studio_reps_member ON studio_reps(member_id);

CREATE TABLE receptions (
    id {id},
    studio_id {int} NOT NULL REFERENCES studios(id),
    member_id {int} NOT NULL REFERENCES members(id),
    held_on TEXT NOT NULL,
    residents {int} NOT NULL,
    raised TEXT NOT NULL,
    problem_id {int} REFERENCES problems(id),
    created_at {int} NOT NULL
);
CREATE INDEX receptions_studio ON receptions(studio_id, held_on);
