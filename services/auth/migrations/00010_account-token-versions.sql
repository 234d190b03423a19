-- Account-wide cut-offs become a per-account counter instead of a time in whole seconds: two
-- cut-offs in one second (a promotion, a refresh, a demotion) left the token refreshed between
-- them alive. Every cut-off raises accounts.token_version; tokens carry it as the `tv` claim and
-- are revoked while it is below the account's live revocation's min_token_version.
ALTER TABLE accounts ADD COLUMN token_version bigint NOT NULL DEFAULT 0;

-- Tokens issued before this change carry no `tv` (read as 0). Accounts that ever had a cut-off
-- start at version 1, and their live time-based revocations become "below version 1": those
-- older tokens die (clients refresh), none outlives the cut-off it was meant to fall under.
UPDATE accounts SET token_version = 1 WHERE tokens_not_before > 0;
ALTER TABLE accounts DROP COLUMN tokens_not_before;

ALTER TABLE revocations RENAME COLUMN not_before TO min_token_version;
UPDATE revocations SET min_token_version = 1 WHERE kind = 'account';
