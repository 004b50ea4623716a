CREATE VIRTUAL TABLE problems_fts USING fts5(tokens);
