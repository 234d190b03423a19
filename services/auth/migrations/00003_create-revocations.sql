-- The durable record of every revocation whose access tokens may still be live. Redis is re-seeded
-- from this table, so it outlives the sessions and accounts it names (no foreign keys).
CREATE TABLE revocations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('session', 'account')),
  subject_id uuid NOT NULL,
  -- For kind 'account': tokens with iat (epoch seconds) below this are revoked.
  not_before bigint,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX revocations_expires_at_idx ON revocations (expires_at);
