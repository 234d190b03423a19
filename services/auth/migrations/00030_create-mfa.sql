-- Two-factor authentication. One TOTP factor per account: pending (confirmed_at NULL) until its
-- first code is confirmed. The secret is stored only as an envelope under SECRETS_KEY
-- (AES-256-GCM, bound to the account id). last_used_step is the RFC 6238 time step of the last
-- accepted code: a code is accepted only for a later step, in one conditional UPDATE, so a
-- code is used once across every replica.
CREATE TABLE mfa_totp_factors (
  account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  secret_envelope text NOT NULL,
  confirmed_at timestamptz,
  last_used_step bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes: only the SHA-256 of each (120 random bits, ASVS 6.5.2); used ones stay marked.
CREATE TABLE mfa_recovery_codes (
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  hash bytea NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (account_id, hash)
);

-- The second step of a log in: the SHA-256 of the mfaToken, the password hash that was verified
-- (the session is created only while it is still the account's), and the attempts made with it.
CREATE TABLE mfa_challenges (
  hash bytea PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  verified_password_hash text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- How a session was authenticated, carried into every access token it is refreshed to
-- (claims amr and auth_time): a refresh never upgrades or forgets the second factor.
ALTER TABLE sessions
  ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}',
  ADD COLUMN auth_time timestamptz;
UPDATE sessions SET auth_time = created_at;
ALTER TABLE sessions ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now();
