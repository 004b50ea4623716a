-- Member search at province scale (PostgreSQL; SQLite holds one district and scans it quickly).
-- A name containing the query: a GIN index on the name's characters finds the rows holding every
-- character of the query (LIKE '%q%' then checks their order), for queries of any length; a
-- trigram index would need three characters, and most Chinese names have two or three.
CREATE INDEX members_name_chars ON members USING gin (string_to_array(name, NULL));
-- Initials starting with the query (`zs%`): LIKE uses a B-tree only with byte-wise comparison,
-- which the database's collation need not give. It covers what a search needs of each candidate
-- (id, organisation, status, name), so tens of thousands of candidates cost no table reads.
CREATE INDEX members_initials_prefix ON members (name_initials text_pattern_ops)
    INCLUDE (id, org_id, status, name);
