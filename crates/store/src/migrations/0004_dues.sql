-- Party dues: the rules as data with their effective date, each member's income history (the
-- base, from a month on), and payments — one per member and month, never edited.
CREATE TABLE dues_rules (
    effective_from TEXT PRIMARY KEY,
    rule_json TEXT NOT NULL,
    created_at {int} NOT NULL
);
CREATE TABLE dues_bases (
    member_id {int} NOT NULL REFERENCES members(id),
    from_month TEXT NOT NULL,
    income {int} NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (member_id, from_month)
);
CREATE TABLE dues_payments (
    id {id},
    member_id {int} NOT NULL REFERENCES members(id),
    month TEXT NOT NULL,
    amount {int} NOT NULL,
    paid_on TEXT NOT NULL,
    created_at {int} NOT NULL,
    UNIQUE (member_id, month)
);
