/**
 * SQL for the single-use tokens mailed to an account (password reset, email verification, email
 * change): 256 random bits, of which only the SHA-256 is stored, bound to the account, the purpose
 * and the address mailed. Using one is one conditional UPDATE, so two racing uses cannot both win.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { Sql, TransactionSql } from 'postgres'

type Db = Sql | TransactionSql

export type TokenPurpose = 'password_reset' | 'email_verification' | 'email_change'

export interface UsedToken { accountId: string, purpose: TokenPurpose, email: string | null }

function hashOf (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** A new token; a new password reset token makes the account's older ones unusable. */
export async function mintToken (db: Db, input: { accountId: string, purpose: TokenPurpose, email: string, ttlSeconds: number }): Promise<string> {
  const token = randomBytes(32).toString('base64url')
  if (input.purpose === 'password_reset') await deleteResetTokens(db, input.accountId)
  await db`
    INSERT INTO account_tokens (hash, account_id, purpose, email, expires_at)
    VALUES (${hashOf(token)}, ${input.accountId}, ${input.purpose}, ${input.email}, now() + ${input.ttlSeconds} * interval '1 second')`
  return token
}

/** The live token's binding, without using it up. */
export async function findLiveToken (db: Db, token: string, purposes: TokenPurpose[]): Promise<UsedToken | undefined> {
  const [row] = await db<UsedToken[]>`
    SELECT account_id, purpose, email FROM account_tokens
    WHERE hash = ${hashOf(token)} AND purpose = ANY(${purposes}::text[]) AND used_at IS NULL AND expires_at > now()`
  return row
}

/** Marks the token used and returns what it was bound to; undefined if unknown, used or expired. */
export async function useToken (db: Db, token: string, purposes: TokenPurpose[]): Promise<UsedToken | undefined> {
  const [row] = await db<UsedToken[]>`
    UPDATE account_tokens SET used_at = now()
    WHERE hash = ${hashOf(token)} AND purpose = ANY(${purposes}::text[]) AND used_at IS NULL AND expires_at > now()
    RETURNING account_id, purpose, email`
  return row
}

/** A password change makes every outstanding reset token of the account unusable. */
export async function deleteResetTokens (db: Db, accountId: string): Promise<void> {
  await db`DELETE FROM account_tokens WHERE account_id = ${accountId} AND purpose = 'password_reset' AND used_at IS NULL`
}

export async function deleteExpiredTokens (db: Db): Promise<void> {
  await db`DELETE FROM account_tokens WHERE expires_at < now() - interval '1 day'`
}

export async function markEmailVerified (db: Db, accountId: string): Promise<true> {
  await db`UPDATE accounts SET email_verified = true WHERE id = ${accountId}`
  return true
}
