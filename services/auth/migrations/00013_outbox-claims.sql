-- The relay claims a batch of rows for a while instead of holding them locked in a transaction
-- while it talks to Redis: no PostgreSQL transaction ever waits on Redis. A claim that outlives
-- its relay (a crash) expires, and another pass takes the rows.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;
