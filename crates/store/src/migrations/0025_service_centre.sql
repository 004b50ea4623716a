-- The service centre (党群服务中心, issue 5 item 4): a catalogue of 党务/政务/村务/公共服务 items
-- with their materials and time limits, requests taken at the desk or online, and each request's
-- history. An item belongs to a place and is offered at every centre under it (the district's at
-- every village, a town's in its villages, a village's own at that village only). The request
-- row is the request as its events left it (what lists read); events are appended, never edited.
CREATE TABLE service_items (
    id {id},
    place_id {int} NOT NULL REFERENCES places(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- party | gov | village | public (党务/政务/村务/公共服务)
    grp TEXT NOT NULL,
    -- One material a line.
    materials TEXT NOT NULL,
    -- Working days; 0 = 即办 (done on the day).
    limit_days {int} NOT NULL,
    online {int} NOT NULL DEFAULT 0,
    active {int} NOT NULL DEFAULT 1,
    sort {int} NOT NULL DEFAULT 0,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX service_items_place ON service_items(place_id, active, grp, sort);

CREATE TABLE service_requests (
    id {id},
    item_id {int} NOT NULL REFERENCES service_items(id),
    -- The centre: the village, community or town the request was taken at.
    place_id {int} NOT NULL REFERENCES places(id),
    -- desk | online
    channel TEXT NOT NULL,
    -- SHA-256 of the tracking code the applicant holds (the code itself is never stored).
    code_hash TEXT NOT NULL UNIQUE,
    -- The applicant's name and phone, sealed; masked copies for lists; blind indexes for search.
    name_sealed {blob} NOT NULL,
    name_masked TEXT NOT NULL,
    name_index TEXT NOT NULL,
    phone_sealed {blob} NOT NULL,
    phone_masked TEXT NOT NULL,
    phone_index TEXT NOT NULL,
    -- What they asked for, in their words.
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The item's limit when filed (a later change of the catalogue moves no dates).
    limit_days {int} NOT NULL,
    filed_on TEXT NOT NULL,
    accepted_on TEXT,
    due_on TEXT,
    paused_on TEXT,
    finished_on TEXT,
    -- Went past its due date unfinished at some time (kept once set).
    overdue {int} NOT NULL DEFAULT 0,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX service_requests_place ON service_requests(place_id, filed_on);
CREATE INDEX service_requests_status ON service_requests(status, due_on);
CREATE INDEX service_requests_item ON service_requests(item_id);
CREATE INDEX service_requests_name ON service_requests(name_index);
CREATE INDEX service_requests_phone ON service_requests(phone_index);

CREATE TABLE service_request_events (
    request_id {int} NOT NULL REFERENCES service_requests(id),
    seq {int} NOT NULL,
    -- file | accept | start | ask_materials | materials_in | complete | reject | overdue
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    due_on TEXT,
    on_date TEXT NOT NULL,
    actor TEXT NOT NULL,
    created_at {int} NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- The district's exceptions to the working week for time limits: public holidays (working = 0)
-- and weekend days worked in their place (调休上班, working = 1), as published each year.
CREATE TABLE service_calendar (
    day TEXT PRIMARY KEY,
    working {int} NOT NULL,
    note TEXT NOT NULL,
    created_at {int} NOT NULL
);
