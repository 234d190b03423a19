-- Retention (PROCESSED_EVENT_RETENTION): the scheduled delete finds old rows through this index.
CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);
