/** SQL of two-factor authentication: TOTP factors, recovery codes and log-in challenges. */
import type { Sql, TransactionSql } from 'postgres'

type Db = Sql | TransactionSql

export interface TotpFactorRecord {
  accountId: string
  secretEnvelope: string
  confirmedAt: Date | null
  createdAt: Date
}

export async function findTotpFactor (db: Db, accountId: string): Promise<TotpFactorRecord | undefined> {
  const [row] = await db<TotpFactorRecord[]>`
    SELECT account_id, secret_envelope, confirmed_at, created_at FROM mfa_totp_factors WHERE account_id = ${accountId}`
  return row
}

export async function hasConfirmedTotp (db: Db, accountId: string): Promise<boolean> {
  const [row] = await db`SELECT 1 FROM mfa_totp_factors WHERE account_id = ${accountId} AND confirmed_at IS NOT NULL`
  return row !== undefined
}

/** A new pending factor, replacing a pending one; none while a confirmed factor exists. */
export async function upsertPendingTotp (db: Db, accountId: string, secretEnvelope: string): Promise<boolean> {
  const rows = await db`
    INSERT INTO mfa_totp_factors (account_id, secret_envelope) VALUES (${accountId}, ${secretEnvelope})
    ON CONFLICT (account_id) DO UPDATE SET secret_envelope = EXCLUDED.secret_envelope, created_at = now(), last_used_step = NULL
      WHERE mfa_totp_factors.confirmed_at IS NULL
    RETURNING 1`
  return rows.length > 0
}

/**
 * Takes the code's time step as the factor's last used one, only if it is later than the last:
 * a code (or an earlier one) is accepted once, whichever replica sees it first (RFC 6238 §5.2).
 * `confirmed` picks an active factor, or a pending one (whose acceptance confirms it).
 */
export async function useTotpStep (db: Db, accountId: string, step: number, confirmed: boolean): Promise<boolean> {
  const rows = await db`
    UPDATE mfa_totp_factors SET
      last_used_step = ${step},
      confirmed_at = COALESCE(confirmed_at, now())
    WHERE account_id = ${accountId}
      AND ${confirmed ? db`confirmed_at IS NOT NULL` : db`confirmed_at IS NULL`}
      AND (last_used_step IS NULL OR last_used_step < ${step})
    RETURNING 1`
  return rows.length > 0
}

export async function deleteTotpFactor (db: Db, accountId: string): Promise<boolean> {
  const rows = await db`DELETE FROM mfa_totp_factors WHERE account_id = ${accountId} RETURNING 1`
  await db`DELETE FROM mfa_recovery_codes WHERE account_id = ${accountId}`
  return rows.length > 0
}

export async function replaceRecoveryCodes (db: Db, accountId: string, hashes: Buffer[]): Promise<void> {
  await db`DELETE FROM mfa_recovery_codes WHERE account_id = ${accountId}`
  await db`INSERT INTO mfa_recovery_codes ${db(hashes.map(hash => ({ accountId, hash })), 'accountId', 'hash')}`
}

/** Marks the code used if it is one of the account's unused codes: one use, even under concurrency. */
export async function useRecoveryCode (db: Db, accountId: string, hash: Buffer): Promise<boolean> {
  const rows = await db`
    UPDATE mfa_recovery_codes SET used_at = now()
    WHERE account_id = ${accountId} AND hash = ${hash} AND used_at IS NULL
    RETURNING 1`
  return rows.length > 0
}

export async function countRecoveryCodesLeft (db: Db, accountId: string): Promise<number> {
  const [row] = await db<Array<{ left: number }>>`
    SELECT count(*)::int AS left FROM mfa_recovery_codes WHERE account_id = ${accountId} AND used_at IS NULL`
  return row?.left ?? 0
}

export async function insertChallenge (db: Db, input: { hash: Buffer, accountId: string, verifiedPasswordHash: string, ttlSeconds: number }): Promise<void> {
  await db`
    INSERT INTO mfa_challenges (hash, account_id, verified_password_hash, expires_at)
    VALUES (${input.hash}, ${input.accountId}, ${input.verifiedPasswordHash}, now() + make_interval(secs => ${input.ttlSeconds}))`
  // Expired challenges are useless: each new one sweeps a few of them.
  await db`DELETE FROM mfa_challenges WHERE hash IN (SELECT hash FROM mfa_challenges WHERE expires_at < now() - interval '1 hour' LIMIT 20)`
}

/**
 * Counts one attempt on a live challenge, atomically: of any number of concurrent attempts, at
 * most `maxAttempts` ever get the challenge back, then it is dead.
 */
export async function claimChallengeAttempt (db: Db, hash: Buffer, maxAttempts: number): Promise<{ accountId: string, verifiedPasswordHash: string } | undefined> {
  const [row] = await db<Array<{ accountId: string, verifiedPasswordHash: string }>>`
    UPDATE mfa_challenges SET attempts = attempts + 1
    WHERE hash = ${hash} AND used_at IS NULL AND expires_at > now() AND attempts < ${maxAttempts}
    RETURNING account_id, verified_password_hash`
  return row
}

/** Spends the challenge; false when another request spent it first. */
export async function useChallenge (db: Db, hash: Buffer): Promise<boolean> {
  const rows = await db`UPDATE mfa_challenges SET used_at = now() WHERE hash = ${hash} AND used_at IS NULL RETURNING 1`
  return rows.length > 0
}
