-- Addresses are compared in Unicode NFKC form, trimmed, without a trailing dot on the domain and
-- lower-cased (normalizeEmail in accounts-repository.ts); before, only trimmed and lower-cased.
-- Rows stored under the old rule are brought to the new one. Where two old rows now share a form,
-- the older account takes it and the other keeps its old one: accounts are never merged silently.
-- normalize() needs a UTF8 database; elsewhere only the trailing dot is dropped.
DO $$
DECLARE
  nfkc boolean := current_setting('server_encoding') = 'UTF8';
BEGIN
  UPDATE accounts AS a SET email_normalized = c.target
  FROM (
    SELECT DISTINCT ON (target) id, target
    FROM (
      SELECT id, created_at, email_normalized,
        lower(regexp_replace(CASE WHEN nfkc THEN btrim(normalize(email_normalized, NFKC)) ELSE email_normalized END, '\.+$', '')) AS target
      FROM accounts
    ) AS renormalized
    WHERE target <> email_normalized
    ORDER BY target, created_at, id
  ) AS c
  WHERE a.id = c.id AND NOT EXISTS (SELECT 1 FROM accounts AS o WHERE o.email_normalized = c.target);
END
$$;
