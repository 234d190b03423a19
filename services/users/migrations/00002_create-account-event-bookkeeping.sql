-- Idempotent consumption of account events: an event id is applied at most once, in the same
-- transaction as its effect.
CREATE TABLE processed_events (
  event_id      uuid PRIMARY KEY,
  event_type    text NOT NULL,
  processed_at  timestamptz NOT NULL DEFAULT now()
);

-- Deleted accounts stay deleted: a late or redelivered account.created never resurrects them.
CREATE TABLE deleted_accounts (
  id          uuid PRIMARY KEY,
  deleted_at  timestamptz NOT NULL DEFAULT now()
);
