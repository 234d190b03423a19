/**
 * SQL for the accounts table. Plain functions of a connection or transaction; they return plain
 * objects and never decide policy.
 */
import type { Sql, TransactionSql } from 'postgres'
import type { Account, AccountStatus } from '@latchkey/contracts'

type Db = Sql | TransactionSql

export interface AccountRecord {
  id: string
  email: string
  roles: string[]
  status: AccountStatus
  passwordHash: string
  /** Raised by every account-wide cut-off; access tokens carry it as `tv`. */
  tokenVersion: number
  emailVerified: boolean
  pendingEmail: string | null
  createdAt: Date
  updatedAt: Date
}

export function toAccount (record: AccountRecord): Account {
  return {
    id: record.id,
    email: record.email,
    roles: record.roles,
    status: record.status,
    emailVerified: record.emailVerified,
    ...(record.pendingEmail === null ? {} : { pendingEmail: record.pendingEmail }),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString()
  }
}

/**
 * The form an address is stored and shown in: Unicode NFKC (fullwidth `ａ` is `a`, the ligature
 * `ﬁ` is `fi`), trimmed, without the trailing dot of a fully qualified domain (`x.io.` is `x.io`).
 * Invisible characters never get here: the schema refuses them.
 */
function canonicalEmail (email: string): string {
  return email.normalize('NFKC').trim().replace(/\.+$/, '')
}

/** The form addresses are compared in (unique per account): the canonical form, lower-cased. */
export function normalizeEmail (email: string): string {
  return canonicalEmail(email).toLowerCase()
}

const columns = 'id, email, roles, status, password_hash, token_version::float8 AS token_version, email_verified, pending_email, created_at, updated_at'

export async function insertAccount (db: Db, input: { email: string, passwordHash: string, roles: string[] }): Promise<AccountRecord | undefined> {
  const [row] = await db<AccountRecord[]>`
    INSERT INTO accounts (email, email_normalized, password_hash, roles)
    VALUES (${canonicalEmail(input.email)}, ${normalizeEmail(input.email)}, ${input.passwordHash}, ${input.roles})
    ON CONFLICT (email_normalized) DO NOTHING
    RETURNING ${db.unsafe(columns)}`
  return row
}

export async function findAccountByEmail (db: Db, email: string): Promise<AccountRecord | undefined> {
  const [row] = await db<AccountRecord[]>`SELECT ${db.unsafe(columns)} FROM accounts WHERE email_normalized = ${normalizeEmail(email)}`
  return row
}

/**
 * Log in's read of the account: the row and whether a confirmed second factor guards it, in one
 * round trip (the factor decides the answer once the password matched).
 */
export async function findAccountForLogIn (db: Db, email: string): Promise<(AccountRecord & { hasSecondFactor: boolean }) | undefined> {
  const [row] = await db<Array<AccountRecord & { hasSecondFactor: boolean }>>`
    SELECT ${db.unsafe(columns)},
      EXISTS (SELECT 1 FROM mfa_totp_factors WHERE account_id = accounts.id AND confirmed_at IS NOT NULL) AS has_second_factor
    FROM accounts WHERE email_normalized = ${normalizeEmail(email)}`
  return row
}

/**
 * `forUpdate` locks the row for a change of the account; `forShare` for an issue of tokens, which
 * must see the roles, status and cut-off current at issue. Lock order everywhere: the account
 * row, then its sessions.
 */
export async function findAccountById (db: Db, id: string, options: { forUpdate?: boolean, forShare?: boolean } = {}): Promise<AccountRecord | undefined> {
  const [row] = options.forUpdate === true
    ? await db<AccountRecord[]>`SELECT ${db.unsafe(columns)} FROM accounts WHERE id = ${id} FOR UPDATE`
    : options.forShare === true
      ? await db<AccountRecord[]>`SELECT ${db.unsafe(columns)} FROM accounts WHERE id = ${id} FOR SHARE`
      : await db<AccountRecord[]>`SELECT ${db.unsafe(columns)} FROM accounts WHERE id = ${id}`
  return row
}

/** Re-hash at log in: replaces the hash only if it is still the one verified (a change wins). */
export async function replacePasswordHash (db: Db, id: string, verified: string, next: string): Promise<void> {
  await db`UPDATE accounts SET password_hash = ${next}, updated_at = now() WHERE id = ${id} AND password_hash = ${verified}`
}

export async function updateAccount (db: Db, id: string, changes: { email?: string | undefined, passwordHash?: string | undefined, status?: AccountStatus | undefined, roles?: string[] | undefined }): Promise<AccountRecord | undefined> {
  const [row] = await db<AccountRecord[]>`
    UPDATE accounts SET
      email = COALESCE(${changes.email === undefined ? null : canonicalEmail(changes.email)}, email),
      email_normalized = COALESCE(${changes.email === undefined ? null : normalizeEmail(changes.email)}, email_normalized),
      password_hash = COALESCE(${changes.passwordHash ?? null}, password_hash),
      status = COALESCE(${changes.status ?? null}, status),
      roles = COALESCE(${changes.roles ?? null}::text[], roles),
      updated_at = now()
    WHERE id = ${id}
    RETURNING ${db.unsafe(columns)}`
  return row
}

/**
 * Serializes every change that can remove an active administrator (per schema), so two of them
 * cannot each count the other and both proceed. Taken before any row lock of the transaction.
 */
export async function lockAdministrators (db: Db): Promise<void> {
  await db`SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':latchkey-administrators'))`
}

/** Active administrators other than `exceptId`, as committed now (under lockAdministrators). */
export async function countOtherActiveAdministrators (db: Db, exceptId: string): Promise<number> {
  const [row] = await db<Array<{ count: number }>>`
    SELECT count(*)::int AS count FROM accounts WHERE status = 'active' AND 'admin' = ANY(roles) AND id <> ${exceptId}`
  return row?.count ?? 0
}

/**
 * Raises the account's token version (an account-wide cut-off) and returns the new version, or
 * undefined for an unknown account. The UPDATE holds the row lock until the transaction ends, so
 * concurrent cut-offs are serialized and each gets a strictly larger version.
 */
export async function raiseTokenVersion (db: Db, id: string): Promise<number | undefined> {
  const [row] = await db<Array<{ tokenVersion: number }>>`
    UPDATE accounts SET token_version = token_version + 1 WHERE id = ${id} RETURNING token_version::float8 AS token_version`
  return row?.tokenVersion
}

export async function deleteAccount (db: Db, id: string): Promise<boolean> {
  const rows = await db`DELETE FROM accounts WHERE id = ${id} RETURNING id`
  return rows.length > 0
}

/**
 * A page in (created_at, id) order. `position` is created_at at full (microsecond) precision for the
 * cursor; it goes back in as text, since postgres.js would round a timestamptz parameter to ms.
 */
export async function listAccounts (db: Db, options: { limit: number, after?: { createdAt: string, id: string } | undefined, email?: string | undefined }): Promise<Array<AccountRecord & { position: string }>> {
  return await db<Array<AccountRecord & { position: string }>>`
    SELECT ${db.unsafe(columns)}, created_at::text AS position FROM accounts
    WHERE TRUE
      ${options.email === undefined ? db`` : db`AND email_normalized = ${normalizeEmail(options.email)}`}
      ${options.after === undefined ? db`` : db`AND (created_at, id) > (${options.after.createdAt}::text::timestamptz, ${options.after.id}::uuid)`}
    ORDER BY created_at, id
    LIMIT ${options.limit}`
}
