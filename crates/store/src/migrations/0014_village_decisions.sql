-- The village's side of issue 6: who sits on its bodies (on which dates), near relatives between
-- them, its head counts for the 村民会议, the meetings of its bodies, the key-powers list, matters
-- run through 四议两公开, the 村务公开 board and the supervision committee's reviews.
-- Published items, steps and reviews are appended, never edited.

-- People of a village who hold (or held) a seat; a Party member among them is linked.
CREATE TABLE village_people (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    member_id {int} REFERENCES members(id),
    created_at {int} NOT NULL
);
CREATE INDEX village_people_place ON village_people(place_id, name);

-- A seat on a body from one day to another (open-ended while held): the roll of a body's meeting
-- is its seats on the meeting's date.
CREATE TABLE seats (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    person_id {int} NOT NULL REFERENCES village_people(id),
    body TEXT NOT NULL,
    title TEXT,
    from_on TEXT NOT NULL,
    to_on TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX seats_place ON seats(place_id, body, from_on);
CREATE INDEX seats_person ON seats(person_id);

-- Near relatives, one row per pair (read both ways).
CREATE TABLE kinships (
    person_a {int} NOT NULL REFERENCES village_people(id),
    person_b {int} NOT NULL REFERENCES village_people(id),
    kind TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (person_a, person_b)
);
CREATE INDEX kinships_b ON kinships(person_b);

-- Adult villagers and households as of a day (from the 户籍 register): the 村民会议's quorum base.
CREATE TABLE village_counts (
    place_id {int} NOT NULL REFERENCES places(id),
    as_of TEXT NOT NULL,
    adults {int} NOT NULL,
    households {int} NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (place_id, as_of)
);

-- A 村民会议 counts households as well as people.
ALTER TABLE meetings ADD COLUMN households {int} NOT NULL DEFAULT 0;
ALTER TABLE meetings ADD COLUMN households_present {int} NOT NULL DEFAULT 0;

-- Attendance at a body's meeting, by seat holder.
CREATE TABLE meeting_seats (
    meeting_id {int} NOT NULL REFERENCES meetings(id),
    person_id {int} NOT NULL REFERENCES village_people(id),
    status TEXT NOT NULL CHECK (status IN ('present', 'leave', 'absent')),
    reason TEXT,
    PRIMARY KEY (meeting_id, person_id)
);

-- The key-powers list: the law's matters (place_id NULL, for every village) and local ones.
CREATE TABLE power_items (
    id {id},
    place_id {int} REFERENCES places(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    basis TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    publication_days {int} NOT NULL,
    created_at {int} NOT NULL
);
CREATE UNIQUE INDEX power_items_place ON power_items(place_id, code);

-- A matter of the list run through 四议两公开; next_step is NULL once the result is published.
CREATE TABLE matters (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    item_id {int} NOT NULL REFERENCES power_items(id),
    title TEXT NOT NULL,
    next_step TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX matters_place ON matters(place_id, created_at);

-- The 村务公开 board: what went up, when, and when it comes down; a correction points to the item
-- it corrects.
CREATE TABLE publications (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    up_on TEXT NOT NULL,
    down_on TEXT NOT NULL,
    matter_id {int} REFERENCES matters(id),
    corrects_id {int} REFERENCES publications(id),
    created_at {int} NOT NULL
);
CREATE INDEX publications_place ON publications(place_id, up_on);
CREATE INDEX publications_corrects ON publications(corrects_id);
CREATE INDEX publications_matter ON publications(matter_id);

-- Each step of a matter and what it rests on: a passed resolution of a meeting, or a publication.
CREATE TABLE matter_steps (
    matter_id {int} NOT NULL REFERENCES matters(id),
    seq {int} NOT NULL,
    step TEXT NOT NULL,
    meeting_id {int} REFERENCES meetings(id),
    resolution_id {int} REFERENCES resolutions(id),
    publication_id {int} REFERENCES publications(id),
    on_date TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (matter_id, seq)
);
-- A vote carries one step of one matter: it cannot be reused for another.
CREATE UNIQUE INDEX matter_steps_resolution ON matter_steps(resolution_id);

-- The 村务监督委员会's review of a matter or a publication.
CREATE TABLE supervision_reviews (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    person_id {int} NOT NULL REFERENCES village_people(id),
    matter_id {int} REFERENCES matters(id),
    publication_id {int} REFERENCES publications(id),
    verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'object')),
    opinion TEXT NOT NULL,
    reviewed_on TEXT NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX supervision_reviews_place ON supervision_reviews(place_id, reviewed_on);
CREATE INDEX supervision_reviews_matter ON supervision_reviews(matter_id);
CREATE INDEX supervision_reviews_publication ON supervision_reviews(publication_id);

-- Files attached to a meeting (sign-in sheets, photos, minutes as signed): kept as uploaded, never
-- replaced; the type is what the bytes are, not what the name says.
CREATE TABLE meeting_files (
    id {id},
    meeting_id {int} NOT NULL REFERENCES meetings(id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size {int} NOT NULL,
    sha256 TEXT NOT NULL,
    bytes {blob} NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX meeting_files_meeting ON meeting_files(meeting_id);

-- The meeting rules (quorum, majority, notice) as data with the day each took effect and its
-- source: seeded from domain::meeting::MeetingRule::defaults, changed by adding a row.
CREATE TABLE meeting_rules (
    kind TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    rule_json TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (kind, effective_from)
);
