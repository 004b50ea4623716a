-- Open311 GeoReport v2 (issue 5, item 9): the catalogue of problem categories (Open311's
-- "services", also what the resident form offers), partners' API keys, and what a partner sent
-- with each request it filed. The problem itself is an ordinary `problems` row (source 'open311').

-- The categories of problems a resident may report. `problems.category` holds a `code`.
CREATE TABLE voice_services (
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    -- 党务 / 政务 / 村务 / 公共服务
    service_group TEXT NOT NULL,
    -- Comma separated synonyms (Open311 `keywords`).
    keywords TEXT NOT NULL,
    -- 1 when the service has attributes to fill in (Open311 `metadata`); none has yet.
    metadata {int} NOT NULL DEFAULT 0,
    -- Open311 `type`: jiceng files a request at once, so every service is `realtime`.
    kind TEXT NOT NULL DEFAULT 'realtime',
    sort_order {int} NOT NULL,
    active {int} NOT NULL DEFAULT 1
);

INSERT INTO voice_services (code, name, description, service_group, keywords, sort_order) VALUES
('road', '道路与交通设施', '道路破损、坑洼、井盖缺失、路灯不亮、交通标志损坏等', '公共服务', '道路,坑洼,井盖,路灯,桥梁,交通', 10),
('sanitation', '环境卫生', '垃圾未清运、乱堆乱放、黑臭水体、公厕脏乱等', '公共服务', '垃圾,卫生,污水,黑臭,公厕,清洁', 20),
('water', '供水排水', '停水、漏水、水压低、排水不畅、下雨水浸等', '公共服务', '供水,停水,漏水,排水,水浸,内涝', 30),
('safety', '安全隐患', '危房、电线私拉乱接、消防通道堵塞、河塘无护栏等安全隐患', '公共服务', '安全,隐患,危房,消防,电线,溺水', 40),
('livelihood', '民生保障', '低保、医保、养老、助残、就业等民生事项的反映与求助', '政务', '低保,医保,社保,养老,残疾,就业,救助', 50),
('policy', '政策咨询', '对政策、办事流程、所需材料的询问', '政务', '政策,咨询,办事,证明,材料', 60),
('dispute', '邻里纠纷', '邻里、土地、宅基地等纠纷，请求村（社区）调解', '村务', '纠纷,调解,邻里,宅基地,土地', 70),
('village_affairs', '村务与集体三资', '村务公开、集体资产资源资金、工程项目等事项的意见', '村务', '村务公开,三资,集体,工程,财务', 80),
('party', '党员与党组织', '对党员、党组织、党员联系户工作的意见建议', '党务', '党员,党组织,党建,联系户', 90),
('other', '其他', '不属于以上类别的问题和建议', '公共服务', '其他,建议,意见', 100);

-- Partners' keys: only the SHA-256 of a key is kept (a key is 32 random bytes, so a plain hash
-- cannot be reversed by guessing). A key files requests only in its place's subtree.
CREATE TABLE open311_keys (
    id {id},
    partner TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    place_id {int} NOT NULL REFERENCES places(id),
    -- Requests this key may file in any hour (a runaway client cannot flood the problem list).
    per_hour {int} NOT NULL,
    created_at {int} NOT NULL,
    revoked_at {int}
);

-- What a partner sent with a request beyond the problem itself. The submitter's details (email,
-- names, device and account ids) are sealed as one JSON object; the phone goes, sealed, with the
-- problem (`problems.contact_sealed`) so that staff can call back.
CREATE TABLE open311_requests (
    problem_id {int} PRIMARY KEY REFERENCES problems(id),
    key_id {int} NOT NULL REFERENCES open311_keys(id),
    service_code TEXT NOT NULL,
    -- 1 when the partner sent a description (the problem's text is then the resident's words).
    has_description {int} NOT NULL,
    lat TEXT,
    lon TEXT,
    address_string TEXT,
    address_id TEXT,
    media_url TEXT,
    attributes_json TEXT NOT NULL,
    submitter_sealed {blob},
    created_at {int} NOT NULL
);
CREATE INDEX open311_requests_key ON open311_requests(key_id, created_at);

-- GET Service Requests reads the newest problems of a window (the last 90 days by default).
CREATE INDEX problems_created ON problems(created_at);
