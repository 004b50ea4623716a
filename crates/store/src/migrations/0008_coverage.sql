-- Two-new coverage: which units qualify is a rule with its basis and effective date (JSON of
-- domain::coverage::CoverageRule); founding dates let a month's figure be computed as it stood.
CREATE TABLE coverage_rules (
    code TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    rule_json TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (code, effective_from)
);
ALTER TABLE units ADD COLUMN founded_on TEXT;
ALTER TABLE orgs ADD COLUMN founded_on TEXT;
CREATE INDEX rollups_metric_period ON rollups(metric, period);
