-- Retention (SESSION_RETENTION, OUTBOX_RETENTION): the scheduled deletes find their rows through
-- these indexes instead of scanning the tables.
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);
CREATE INDEX sessions_created_at_idx ON sessions (created_at);
CREATE INDEX outbox_published_at_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX mail_outbox_done_at_idx ON mail_outbox ((coalesce(sent_at, dead_at))) WHERE sent_at IS NOT NULL OR dead_at IS NOT NULL;

-- Published account events keep no personal data from now on (the relay drops it on delivery);
-- the rows published before this migration lose it here.
UPDATE outbox SET payload = payload #- '{data,name}' #- '{data,email}'
WHERE published_at IS NOT NULL AND (payload->'data' ? 'name' OR payload->'data' ? 'email');
