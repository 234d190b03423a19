-- Email ownership and account recovery. `email_verified` is proven by a mailed token;
-- `pending_email` is an address change waiting for its confirmation from the new address (the
-- old address stays the log-in name until then).
ALTER TABLE accounts
  ADD COLUMN email_verified boolean NOT NULL DEFAULT false,
  ADD COLUMN pending_email text;

-- Single-use tokens mailed to an account: only their SHA-256 is stored, bound to the account, a
-- purpose and (for email proofs) the address it was sent to.
CREATE TABLE account_tokens (
  hash bytea PRIMARY KEY,
  account_id uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('password_reset', 'email_verification', 'email_change')),
  email text,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX account_tokens_account_id_idx ON account_tokens (account_id, purpose);
CREATE INDEX account_tokens_expires_at_idx ON account_tokens (expires_at);

-- Transactional mail outbox: a mail is written in the transaction of the change that causes it
-- and delivered after commit. A row says what to send, never a token: tokens are minted when the
-- mail is sent, so no usable secret ever rests in this table.
CREATE TABLE mail_outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL,
  account_id uuid,
  -- The address the request named (a reset by email, a registration attempt) or the recipient
  -- fixed at queue time (the notice to the old address of an email change).
  address text,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  dead_at timestamptz,
  last_error text
);

CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL AND dead_at IS NULL;
