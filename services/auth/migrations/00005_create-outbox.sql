-- Transactional outbox: account events are written in the same transaction as the change and
-- relayed to the event stream after commit, so none is lost when a publisher or consumer is down.
CREATE TABLE outbox (
  id uuid PRIMARY KEY,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);

CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;
