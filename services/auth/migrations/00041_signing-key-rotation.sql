-- Signing-key rotation. Every replica picks its signing key from this table by time, so replicas
-- agree without talking to each other: a key is published (in the JWKS) from its creation until
-- retired_at, and signs from activates_at on, until a later key activates. A rotation inserts the
-- new key with activates_at = now() + KEY_PUBLISH_DELAY and sets the old key's retired_at to the
-- expiry of the last token it can sign. revoked_at marks a key withdrawn in an emergency.
ALTER TABLE signing_keys
  ADD COLUMN activates_at timestamptz,
  ADD COLUMN revoked_at timestamptz;
UPDATE signing_keys SET activates_at = created_at;
ALTER TABLE signing_keys
  ALTER COLUMN activates_at SET NOT NULL,
  ALTER COLUMN activates_at SET DEFAULT now();

-- A withdrawn key travels to every guard as a revocation (kind 'key', named by its kid), durable
-- and relayed like the others, so cached tokens it signed die within a second everywhere.
ALTER TABLE revocations
  ADD COLUMN kid text,
  ALTER COLUMN subject_id DROP NOT NULL,
  DROP CONSTRAINT revocations_kind_check,
  ADD CONSTRAINT revocations_kind_check CHECK (
    (kind IN ('session', 'account') AND subject_id IS NOT NULL AND kid IS NULL)
    OR (kind = 'key' AND kid IS NOT NULL AND subject_id IS NULL));
