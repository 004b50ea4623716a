-- Blind indexes keep the first 128 bits of their HMAC (32 hex characters instead of 64, see
-- seal.rs BLIND_BYTES): the ID-number and phone indexes are the two widest of the four a member
-- row updates, and at half the width a 200,000-row roster import keeps them in its page cache.
-- The first half of the old value is the new value, so existing rows are truncated in place and
-- every lookup (which goes through Sealer::blind) agrees with them.
UPDATE members SET id_index = substr(id_index, 1, 32) WHERE length(id_index) > 32;
UPDATE members SET phone_index = substr(phone_index, 1, 32) WHERE length(phone_index) > 32;
