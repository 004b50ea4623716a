-- The member register. Personal data is sealed (AES-256-GCM), found by a keyed blind index, and
-- stored masked for display; the clear value is only shown by an audited reveal.
CREATE TABLE members (
    id {id},
    org_id {int} NOT NULL REFERENCES orgs(id),
    name TEXT NOT NULL,
    name_initials TEXT NOT NULL,
    gender TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    ethnicity TEXT NOT NULL,
    education TEXT NOT NULL,
    occupation TEXT NOT NULL,
    status TEXT NOT NULL,
    join_date TEXT,
    full_date TEXT,
    workplace TEXT,
    id_sealed {blob} NOT NULL,
    id_index TEXT NOT NULL UNIQUE,
    id_masked TEXT NOT NULL,
    phone_sealed {blob},
    phone_index TEXT,
    phone_masked TEXT,
    address_sealed {blob},
    address_masked TEXT,
    created_at {int} NOT NULL,
    updated_at {int} NOT NULL
);
CREATE INDEX members_org ON members(org_id);
CREATE INDEX members_phone ON members(phone_index);
CREATE INDEX members_initials ON members(name_initials);
