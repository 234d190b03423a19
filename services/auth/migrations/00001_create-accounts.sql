CREATE TABLE accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  email_normalized text NOT NULL,
  password_hash text NOT NULL,
  roles text[] NOT NULL DEFAULT ARRAY['user'],
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- Access tokens of this account issued (iat, epoch seconds) before this are revoked: log out
  -- everywhere, disable and role changes move it forward; new tokens are never issued below it.
  tokens_not_before bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- One account per email, whatever its case: this index is what makes two racing registrations
-- of one address end in exactly one 201.
CREATE UNIQUE INDEX accounts_email_normalized_key ON accounts (email_normalized);
CREATE INDEX accounts_created_at_id_idx ON accounts (created_at, id);
