-- Files waiting for the user to accept their preview (roster imports). Swept after a day.
CREATE TABLE uploads (
    id {id},
    user_id {int} NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    bytes {blob} NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX uploads_user ON uploads(user_id);
