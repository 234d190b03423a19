/**
 * Narrowing of raw RESP2 stream replies (XREADGROUP, XAUTOCLAIM) into typed entries. ioredis'
 * generated typings for these commands are a union of dozens of overloads; reading the raw reply
 * through one checked function is simpler and safer.
 */
export interface StreamEntry {
  id: string
  /** Flat [field, value, …] list; null when the entry was deleted while pending. */
  fields: string[] | null
}

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every(item => typeof item === 'string')
}

function toEntries (value: unknown): StreamEntry[] {
  if (!Array.isArray(value)) return []
  const entries: StreamEntry[] = []
  for (const item of value) {
    if (!Array.isArray(item) || typeof item[0] !== 'string') continue
    entries.push({ id: item[0], fields: isStringArray(item[1]) ? item[1] : null })
  }
  return entries
}

/** XREADGROUP … STREAMS key >  →  null on timeout, else [[key, entries]]. */
export function readGroupEntries (reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return []
  return reply.flatMap(stream => Array.isArray(stream) ? toEntries(stream[1]) : [])
}

/** XAUTOCLAIM  →  [nextCursor, entries, deletedIds?]. */
export function autoClaimReply (reply: unknown): { next: string, entries: StreamEntry[], deletedIds: string[] } {
  if (!Array.isArray(reply) || typeof reply[0] !== 'string') return { next: '0-0', entries: [], deletedIds: [] }
  return { next: reply[0], entries: toEntries(reply[1]), deletedIds: isStringArray(reply[2]) ? reply[2] : [] }
}

/** The publication time encoded in an auto-generated stream id (`<ms>-<seq>`). */
export function entryTimestamp (id: string): number | undefined {
  const ms = Number(id.split('-')[0])
  return Number.isFinite(ms) ? ms : undefined
}
