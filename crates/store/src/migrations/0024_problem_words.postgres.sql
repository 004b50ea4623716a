CREATE INDEX problems_words ON problems USING GIN (to_tsvector('simple', COALESCE(tokens, '')));
