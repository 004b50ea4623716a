-- Places: the tree 省 → 地市 → 区县 → 镇/街道/乡 → 村/社区 → 网格. The division code is the path:
-- a subtree is a range of codes (see scope.rs).
CREATE TABLE places (
    id {id},
    parent_id {int} REFERENCES places(id),
    code {code} NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    closed_at {int},
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX places_parent ON places(parent_id);

-- Units: enterprises, social organisations and others (两新 coverage is computed over them).
CREATE TABLE units (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    credit_code TEXT,
    above_size {int} NOT NULL DEFAULT 0,
    staff {int} NOT NULL DEFAULT 0,
    closed_at {int},
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX units_place ON units(place_id);

-- Party organisations: their own tree (path of ids, '/1/5/'), each sitting at a place.
CREATE TABLE orgs (
    id {id},
    parent_id {int} REFERENCES orgs(id),
    place_id {int} NOT NULL REFERENCES places(id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    path {code} NOT NULL,
    closed_at {int},
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX orgs_place ON orgs(place_id);
CREATE INDEX orgs_path ON orgs(path);
CREATE INDEX orgs_parent ON orgs(parent_id);

-- Which units an organisation covers (one for its own unit, up to five for a 联合党支部).
CREATE TABLE org_units (
    org_id {int} NOT NULL REFERENCES orgs(id),
    unit_id {int} NOT NULL REFERENCES units(id),
    PRIMARY KEY (org_id, unit_id)
);
CREATE INDEX org_units_unit ON org_units(unit_id);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    place_id {int} NOT NULL REFERENCES places(id),
    totp_sealed {blob},
    totp_confirmed {int} NOT NULL DEFAULT 0,
    totp_last_step {int} NOT NULL DEFAULT 0,
    failed_logins {int} NOT NULL DEFAULT 0,
    locked_until {int} NOT NULL DEFAULT 0,
    disabled {int} NOT NULL DEFAULT 0,
    password_changed_at {int} NOT NULL,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX users_place ON users(place_id);

-- Sessions and API tokens are stored as SHA-256 of the secret, never the secret.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id {int} NOT NULL REFERENCES users(id),
    csrf TEXT NOT NULL,
    second_factor {int} NOT NULL DEFAULT 0,
    ip TEXT NOT NULL,
    created_at {int} NOT NULL,
    last_seen {int} NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_seen ON sessions(last_seen);

CREATE TABLE api_tokens (
    id {id},
    user_id {int} NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at {int} NOT NULL,
    last_used_at {int},
    revoked_at {int}
);

-- Append-only, hash-chained: each entry carries the hash of the one before (audit.rs).
CREATE TABLE audit_log (
    seq {int} PRIMARY KEY,
    at {int} NOT NULL,
    actor_id {int},
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_at ON audit_log(at);
CREATE INDEX audit_actor ON audit_log(actor);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

-- The chain's head; updating it first takes the write lock, so appends are strictly ordered.
CREATE TABLE audit_head (
    id {int} PRIMARY KEY,
    seq {int} NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Roll-ups: node × metric × period, kept in the same transaction as the records they count.
CREATE TABLE rollups (
    place_id {int} NOT NULL REFERENCES places(id),
    metric TEXT NOT NULL,
    period TEXT NOT NULL,
    value {int} NOT NULL,
    PRIMARY KEY (place_id, metric, period)
);
