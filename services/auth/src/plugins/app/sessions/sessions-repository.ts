/**
 * SQL for the sessions table: creation, the row lock refresh rotation runs under, revocation and
 * the caller's live sessions.
 */
import type { Sql, TransactionSql } from 'postgres'

type Db = Sql | TransactionSql

export interface SessionRecord {
  id: string
  accountId: string
  createdAt: Date
  lastUsedAt: Date
  expiresAt: Date
  userAgent: string | null
  ip: string | null
  refreshHash: Buffer
  refreshGeneration: number
  previousRefreshHash: Buffer | null
  rotatedAt: Date | null
  revokedAt: Date | null
  /** How the session logged in (RFC 8176 values) and when: every access token of it carries both. */
  amr: string[]
  authTime: Date
}

/**
 * Creates a session only while the account still has the password hash that was verified and is
 * active, and returns the account's roles and token version as they are now. The account row is read
 * FOR SHARE: a password change, disable, role change or deletion in flight is waited for and then
 * seen, so a log-in that checked an old password (or a since-disabled account) creates nothing.
 */
export async function insertSessionIfCredentialsHold (db: Db, input: { id: string, accountId: string, verifiedPasswordHash: string, refreshHash: Buffer, idleSeconds: number, maxSeconds: number, userAgent: string | null, ip: string | null, amr: string[] }): Promise<{ roles: string[], emailVerified: boolean, tokenVersion: number, authTime: Date } | undefined> {
  const [row] = await db<Array<{ roles: string[], emailVerified: boolean, tokenVersion: number, authTime: Date }>>`
    WITH account AS (
      SELECT id, roles, email_verified, token_version FROM accounts
      WHERE id = ${input.accountId} AND password_hash = ${input.verifiedPasswordHash} AND status = 'active'
      FOR SHARE
    ), created AS (
      -- expires_at is the idle deadline, never past the absolute one (created_at + maxSeconds).
      INSERT INTO sessions (id, account_id, refresh_hash, expires_at, user_agent, ip, amr)
      SELECT ${input.id}, account.id, ${input.refreshHash},
        now() + make_interval(secs => ${Math.min(input.idleSeconds, input.maxSeconds)}), ${input.userAgent}, ${input.ip}, ${input.amr}
      FROM account
      RETURNING id, auth_time
    )
    SELECT account.roles, account.email_verified, account.token_version::float8 AS token_version, created.auth_time FROM account, created`
  return row
}

/** The account a session belongs to, read without a lock (refresh locks the account first). */
export async function findSessionAccountId (db: Db, id: string): Promise<string | undefined> {
  const [row] = await db<Array<{ accountId: string }>>`SELECT account_id FROM sessions WHERE id = ${id}`
  return row?.accountId
}

/** Locks the session row: concurrent refreshes of one session run one after another. */
export async function lockSession (db: Db, id: string): Promise<SessionRecord | undefined> {
  const [row] = await db<SessionRecord[]>`SELECT * FROM sessions WHERE id = ${id} FOR UPDATE`
  return row
}

export async function recordRotation (db: Db, id: string, input: { previousHash: Buffer, nextHash: Buffer, nextGeneration: number, idleSeconds: number, maxSeconds: number }): Promise<void> {
  await db`
    UPDATE sessions SET
      previous_refresh_hash = ${input.previousHash},
      refresh_hash = ${input.nextHash},
      refresh_generation = ${input.nextGeneration},
      rotated_at = now(),
      last_used_at = now(),
      expires_at = LEAST(now() + make_interval(secs => ${input.idleSeconds}), created_at + make_interval(secs => ${input.maxSeconds}))
    WHERE id = ${id}`
}

/** Marks sessions revoked; returns the ids that were live until now. */
export async function markSessionsRevoked (db: Db, where: { ids: string[], accountId?: string } | { accountId: string, exceptId?: string }, reason: string): Promise<string[]> {
  const ids = 'ids' in where ? where.ids : undefined
  const accountId = where.accountId
  const exceptId = 'exceptId' in where ? where.exceptId : undefined
  const rows = await db<Array<{ id: string }>>`
    UPDATE sessions SET revoked_at = now(), revoked_reason = ${reason}
    WHERE revoked_at IS NULL
      ${ids === undefined ? db`` : db`AND id = ANY(${ids}::uuid[])`}
      ${accountId === undefined ? db`` : db`AND account_id = ${accountId}`}
      ${exceptId === undefined ? db`` : db`AND id <> ${exceptId}`}
    RETURNING id`
  return rows.map(row => row.id)
}

export async function findSessionOfAccount (db: Db, id: string, accountId: string): Promise<SessionRecord | undefined> {
  const [row] = await db<SessionRecord[]>`SELECT * FROM sessions WHERE id = ${id} AND account_id = ${accountId}`
  return row
}

export async function listLiveSessions (db: Db, accountId: string): Promise<SessionRecord[]> {
  return await db<SessionRecord[]>`
    SELECT * FROM sessions
    WHERE account_id = ${accountId} AND revoked_at IS NULL AND expires_at > now()
    ORDER BY created_at DESC`
}
