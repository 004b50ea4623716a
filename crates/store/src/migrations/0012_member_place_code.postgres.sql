-- Member search at province scale, second step (PostgreSQL only; SQLite holds one district, where
-- a search reads the region's rows). A search in a county or a city must keep the matches of its
-- region among up to 176,000 province-wide (`lj`); deciding that through a join to `orgs` and
-- `places` for each match cost 0.1–0.5 s. So each member row carries the code of its
-- organisation's place, kept by the triggers below whoever writes, and one B-tree holds what a
-- search filters, sorts and counts by.
ALTER TABLE members ADD COLUMN place_code TEXT COLLATE "C";
UPDATE members m SET place_code = p.code FROM orgs o JOIN places p ON p.id = o.place_id
    WHERE o.id = m.org_id;
CREATE FUNCTION jiceng_member_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.place_code := (SELECT p.code FROM orgs o JOIN places p ON p.id = o.place_id
                       WHERE o.id = NEW.org_id);
    RETURN NEW;
END $$;
CREATE TRIGGER members_place BEFORE INSERT OR UPDATE OF org_id ON members
    FOR EACH ROW EXECUTE FUNCTION jiceng_member_place();
-- An organisation moved to another place, or a place given another code (a move of its subtree).
CREATE FUNCTION jiceng_org_place() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members SET place_code = (SELECT code FROM places WHERE id = NEW.place_id)
        WHERE org_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER orgs_place AFTER UPDATE OF place_id ON orgs
    FOR EACH ROW WHEN (OLD.place_id IS DISTINCT FROM NEW.place_id)
    EXECUTE FUNCTION jiceng_org_place();
CREATE FUNCTION jiceng_place_code() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members SET place_code = NEW.code
        WHERE org_id IN (SELECT id FROM orgs WHERE place_id = NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER places_code AFTER UPDATE OF code ON places
    FOR EACH ROW WHEN (OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION jiceng_place_code();
-- Initials in byte order, so that one index serves `LIKE 'lj%'` and the sort. A search's results
-- are sorted by initials, then place, then name: the order of this index, so a first page is the
-- front of the index range, and a capped count (`Store::SEARCH_COUNT_CAP`) reads at most the
-- entries it needs, the region's filter applied inside the index.
ALTER TABLE members ALTER COLUMN name_initials TYPE TEXT COLLATE "C";
DROP INDEX IF EXISTS members_initials_prefix;
DROP INDEX IF EXISTS members_initials;
CREATE INDEX members_search ON members (name_initials, place_code, name, id) INCLUDE (org_id, status);
-- A name containing the query: names that start with it come from `members_search` (their
-- initials start with the query's, then `LIKE 'q%'` on the name the index holds), without reading
-- the table. Only names holding the query further in are looked up here, so these indexes leave
-- out each name's first character: the adjacent pairs of characters from the second on (a query
-- of two characters or more: `伟华` finds the names holding that pair, not every name holding 伟
-- and 华), and the characters from the second on (a query of one character; replaces 0011's
-- index of every character). PARALLEL UNSAFE although it is safe: every index-first search calls
-- it, and a search is a few short index probes, where starting parallel workers cost ~30 ms
-- (measured on the province demo) for nothing.
CREATE FUNCTION jiceng_name_pairs(n TEXT, first INT) RETURNS TEXT[] LANGUAGE sql IMMUTABLE PARALLEL UNSAFE STRICT AS
$$ SELECT ARRAY(SELECT substr(n, i, 2) FROM generate_series(first, length(n) - 1) AS i) $$;
CREATE INDEX members_name_pairs ON members USING gin (jiceng_name_pairs(name, 2));
DROP INDEX IF EXISTS members_name_chars;
CREATE INDEX members_name_rest_chars ON members USING gin (string_to_array(substr(name, 2), NULL));
