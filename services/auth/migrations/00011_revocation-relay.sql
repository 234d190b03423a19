-- Revocations are relayed from this table to the revocation feed (Redis) like account events
-- from the outbox: a row is marked published only after Redis acknowledged it, so a revocation
-- answered 2xx reaches Redis even when the process that recorded it died first. Rows that exist
-- already are relayed once more (harmless: the feed's writes are idempotent).
ALTER TABLE revocations ADD COLUMN published_at timestamptz;
CREATE INDEX revocations_unpublished_idx ON revocations (id) WHERE published_at IS NULL;
