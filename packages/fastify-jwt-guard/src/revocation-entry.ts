/**
 * The unit of revocation shared by the publisher (auth service) and every guard's view, and the
 * one parser that decides whether something read off the wire is such an entry.
 */

export type RevocationEntry =
  /** expiresAt: epoch ms after which no token of this session can still be live. */
  | { kind: 'session', sid: string, expiresAt: number }
  /** Tokens of this account whose token version (claim `tv`) is below minVersion are revoked. expiresAt: epoch ms. */
  | { kind: 'account', sub: string, minVersion: number, expiresAt: number }
  /** Every token signed with this key is refused, even from a verified-token cache (emergency key rotation). expiresAt: epoch ms. */
  | { kind: 'key', kid: string, expiresAt: number }

const MAX_ID_LENGTH = 128

function isId (value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
}

function isTime (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

export const isCount = isTime

/** The entry in `value`, or undefined when it is not exactly a well-formed entry. */
export function parseRevocationEntry (value: unknown): RevocationEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (record.kind === 'session' && isId(record.sid) && isTime(record.expiresAt)) {
    return { kind: 'session', sid: record.sid, expiresAt: record.expiresAt }
  }
  if (record.kind === 'account' && isId(record.sub) && isCount(record.minVersion) && isTime(record.expiresAt)) {
    return { kind: 'account', sub: record.sub, minVersion: record.minVersion, expiresAt: record.expiresAt }
  }
  if (record.kind === 'key' && isId(record.kid) && isTime(record.expiresAt)) {
    return { kind: 'key', kid: record.kid, expiresAt: record.expiresAt }
  }
  return undefined
}
