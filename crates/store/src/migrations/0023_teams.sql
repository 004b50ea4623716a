-- Stationed teams (驻点, issue 5): a team sent by a town or the district, its leader and members
-- (Party members of the register or plain names), the villages it is assigned to (dated), and a
-- checklist per village. An item's status changes are appended to team_item_events, never edited;
-- the row is the item as its events left it (what lists read).
CREATE TABLE teams (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX teams_place ON teams(place_id);

CREATE TABLE team_members (
    id {id},
    team_id {int} NOT NULL REFERENCES teams(id),
    member_id {int} REFERENCES members(id),
    name TEXT NOT NULL,
    leader {int} NOT NULL DEFAULT 0,
    created_at {int} NOT NULL
);
CREATE INDEX team_members_team ON team_members(team_id);

CREATE TABLE team_villages (
    id {id},
    team_id {int} NOT NULL REFERENCES teams(id),
    place_id {int} NOT NULL REFERENCES places(id),
    from_on TEXT NOT NULL,
    until_on TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX team_villages_team ON team_villages(team_id);
CREATE INDEX team_villages_place ON team_villages(place_id);

CREATE TABLE team_items (
    id {id},
    team_id {int} NOT NULL REFERENCES teams(id),
    place_id {int} NOT NULL REFERENCES places(id),
    title TEXT NOT NULL,
    due_on TEXT NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT,
    done_on TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX team_items_team ON team_items(team_id, place_id, status, due_on);
CREATE INDEX team_items_place ON team_items(place_id, status, due_on);

CREATE TABLE team_item_events (
    item_id {int} NOT NULL REFERENCES team_items(id),
    seq {int} NOT NULL,
    status TEXT NOT NULL,
    evidence TEXT,
    on_date TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (item_id, seq)
);
