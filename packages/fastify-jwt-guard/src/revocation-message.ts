/**
 * The messages on the revocation channel, and the one parser that reads them: an entry with its
 * place in the store's sequence, or the producer's heartbeat. Anything else is ignored.
 */
import { isCount, parseRevocationEntry, type RevocationEntry } from './revocation-entry.js'
import type { RevocationHeartbeat } from './revocation-feed.js'

export type RevocationMessage =
  | { type: 'entry', seq: number, entry: RevocationEntry }
  | ({ type: 'heartbeat' } & RevocationHeartbeat)

const MAX_EPOCH_LENGTH = 64

export function parseRevocationMessage (message: string): RevocationMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(message)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const record = value as Record<string, unknown>
  if (!isCount(record.seq)) return undefined
  if (record.type === 'entry') {
    const entry = parseRevocationEntry(record.entry)
    return entry === undefined ? undefined : { type: 'entry', seq: record.seq, entry }
  }
  if (record.type === 'heartbeat' && typeof record.epoch === 'string' && record.epoch.length > 0 && record.epoch.length <= MAX_EPOCH_LENGTH) {
    return { type: 'heartbeat', epoch: record.epoch, seq: record.seq }
  }
  return undefined
}
