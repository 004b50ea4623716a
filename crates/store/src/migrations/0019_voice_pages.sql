-- Residents' voice pages (issue 5): photos a resident sends with a report and evidence staff attach
-- when they resolve one (kept as uploaded with their SHA-256, never replaced), and the objection
-- window as a rule with its effective day (the 销号 rule reads the one in force on the day of 办结).
CREATE TABLE problem_files (
    id {id},
    problem_id {int} NOT NULL REFERENCES problems(id),
    -- The history entry it came with (1: the report itself).
    seq {int} NOT NULL,
    mime TEXT NOT NULL,
    size {int} NOT NULL,
    sha256 TEXT NOT NULL,
    bytes {blob} NOT NULL,
    created_at {int} NOT NULL
);
CREATE INDEX problem_files_problem ON problem_files(problem_id, seq);

CREATE TABLE voice_rules (
    id {id},
    effective_from TEXT NOT NULL UNIQUE,
    basis TEXT NOT NULL,
    objection_days {int} NOT NULL CHECK (objection_days BETWEEN 1 AND 60),
    created_at {int} NOT NULL
);
INSERT INTO voice_rules (effective_from, basis, objection_days, created_at)
VALUES ('2020-01-01', 'jiceng默认值（种子经验：群众确认或异议期满方可销号），可按本地规定调整', 7, 0);

-- Work lists and the sweep read open problems by deadline; the monthly report reads events by day.
CREATE INDEX problems_deadline ON problems(escalated, status, deadline);
CREATE INDEX problem_events_day ON problem_events(on_date, event);
