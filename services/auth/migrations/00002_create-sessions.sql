CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz NOT NULL DEFAULT now(),
  -- Idle expiry: pushed forward on every refresh.
  expires_at timestamptz NOT NULL,
  user_agent text,
  ip text,
  -- Only hashes of refresh tokens are stored. The previous hash and rotation time implement the
  -- grace window in which a retried refresh gets the same successor again.
  refresh_hash bytea NOT NULL,
  refresh_generation integer NOT NULL DEFAULT 0,
  previous_refresh_hash bytea,
  rotated_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text
);

CREATE INDEX sessions_account_id_idx ON sessions (account_id);
