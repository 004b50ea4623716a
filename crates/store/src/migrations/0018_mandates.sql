-- The 村民会议's authorisation of the 村民代表会议 (《村民委员会组织法》第二十四条): a passed
-- resolution of a quorate 村民会议 lets the representatives decide the matters of one item of the
-- key-powers list (or every item, item_id NULL) from a day, until a day or without end.
-- Never edited: a narrower or later authorisation is another row.
CREATE TABLE assembly_mandates (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    resolution_id {int} NOT NULL REFERENCES resolutions(id),
    item_id {int} REFERENCES power_items(id),
    from_on TEXT NOT NULL,
    until_on TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX assembly_mandates_place ON assembly_mandates(place_id, from_on);

-- How often the 村务公开 board must be refreshed, by the day the rule takes effect
-- (domain::village::PublicationRule as JSON; seeded from the domain's defaults).
CREATE TABLE publication_rules (
    effective_from TEXT PRIMARY KEY,
    rule_json TEXT NOT NULL,
    created_at {int} NOT NULL
);
