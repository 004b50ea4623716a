-- Problem lists at province scale (PostgreSQL; SQLite holds one district and reads its rows).
-- Like members (0012), each problem carries its village's code, kept by triggers whoever writes,
-- so a region's filter is a range inside the indexes below instead of a join to `places` per row.
ALTER TABLE problems ADD COLUMN place_code TEXT COLLATE "C";
UPDATE problems pr SET place_code = p.code FROM places p WHERE p.id = pr.place_id;
CREATE FUNCTION jiceng_problem_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.place_code := (SELECT code FROM places WHERE id = NEW.place_id);
    RETURN NEW;
END $$;
CREATE TRIGGER problems_place BEFORE INSERT OR UPDATE OF place_id ON problems
    FOR EACH ROW EXECUTE FUNCTION jiceng_problem_place();
CREATE FUNCTION jiceng_place_code_problems() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE problems SET place_code = NEW.code WHERE place_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER places_code_problems AFTER UPDATE OF code ON places
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION jiceng_place_code_problems();
-- The list is latest first (filed_on DESC, id DESC). A large region (a province, a city, a
-- county) reads this index backwards and keeps its own rows inside it: a page is the front of it.
CREATE INDEX problems_latest ON problems (filed_on, id, place_code);
-- A small region (a town, a village) reads its range here and sorts it; the filters the list
-- takes are in the index, so neither they nor the count read the table.
CREATE INDEX problems_region ON problems (place_code, filed_on, id)
    INCLUDE (status, category, deadline, escalated);
-- Open problems are a few per cent of all: the open and overdue lists, and their counts, read
-- this small index at any level.
CREATE INDEX problems_open ON problems (filed_on, id, place_code)
    INCLUDE (status, deadline, escalated, category) WHERE status NOT IN ('closed', 'merged');
-- One category in a large region, latest first.
CREATE INDEX problems_category ON problems (category, filed_on, id, place_code);
