-- Households and grids (issue 5, item 5): households in a grid (or directly in a village or
-- community without grids), the members who look after them (党员联系户, dated) and the visits
-- logged from a phone. Address and phone are sealed as members' are; visits are appended.
CREATE TABLE households (
    id {id},
    -- A grid, or a village/community that has no grids.
    place_id {int} NOT NULL REFERENCES places(id),
    -- 户主
    head_name TEXT NOT NULL,
    people {int} NOT NULL,
    address_sealed {blob},
    address_masked TEXT,
    phone_sealed {blob},
    phone_index TEXT,
    phone_masked TEXT,
    -- The day the household is on the register from (no visit before it).
    since_on TEXT NOT NULL,
    -- Moved away (or merged, dissolved): no visit after; the row stays.
    closed_on TEXT,
    closed_reason TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX households_place ON households(place_id, id);
CREATE INDEX households_phone ON households(phone_index);

-- A member looks after a household from one day to another (to_on the last day, open while held);
-- a household has at most one at a time (checked by the store in the writing transaction).
CREATE TABLE household_assignments (
    id {id},
    household_id {int} NOT NULL REFERENCES households(id),
    member_id {int} NOT NULL REFERENCES members(id),
    from_on TEXT NOT NULL,
    to_on TEXT,
    created_at {int} NOT NULL
);
CREATE INDEX household_assignments_household ON household_assignments(household_id, from_on);
CREATE INDEX household_assignments_member ON household_assignments(member_id, from_on);

-- A visit: who, which household, when, how (入户 / 电话 / 线上) and what was raised; a raised
-- matter may have become a problem-list item (problem_id).
CREATE TABLE household_visits (
    id {id},
    household_id {int} NOT NULL REFERENCES households(id),
    member_id {int} NOT NULL REFERENCES members(id),
    visited_on TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('home', 'phone', 'online')),
    raised TEXT,
    problem_id {int} REFERENCES problems(id),
    created_at {int} NOT NULL
);
CREATE INDEX household_visits_household ON household_visits(household_id, visited_on);
CREATE INDEX household_visits_member ON household_visits(member_id, visited_on);
