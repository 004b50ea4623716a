-- Recruitment files: one row per step recorded (1–25 of 《发展细则》); step 0 holds an extension
-- of probation (value = months). Steps are appended in order, never edited.
CREATE TABLE recruitment_steps (
    member_id {int} NOT NULL REFERENCES members(id),
    step {int} NOT NULL,
    date TEXT NOT NULL,
    value {int},
    note TEXT,
    created_at {int} NOT NULL,
    PRIMARY KEY (member_id, step)
);
