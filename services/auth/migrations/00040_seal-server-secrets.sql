-- The generated signing keys and the server secrets rest sealed under SECRETS_KEY (AES-256-GCM,
-- each envelope bound to its row), so a database dump or backup holds no usable key. SQL cannot
-- encrypt: the service seals the clear rows of earlier versions at its next start (same key, same
-- secret: tokens and sessions survive the upgrade) and clears the old columns in that update.
ALTER TABLE signing_keys
  ADD COLUMN private_key_sealed text,
  ALTER COLUMN private_key_pem DROP NOT NULL,
  ADD CONSTRAINT signing_keys_one_private_key CHECK (num_nonnulls(private_key_pem, private_key_sealed) = 1);

ALTER TABLE server_secrets
  ADD COLUMN secret_sealed text,
  ALTER COLUMN secret DROP NOT NULL,
  ADD CONSTRAINT server_secrets_one_secret CHECK (num_nonnulls(secret, secret_sealed) = 1);
