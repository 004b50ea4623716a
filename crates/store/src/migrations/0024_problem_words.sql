-- A problem's words as jieba cut them (space-separated), for search and for spotting duplicates;
-- NULL until indexed (problems filed before this migration are indexed at start).
ALTER TABLE problems ADD COLUMN tokens TEXT;
