/**
 * The revocation store of the embedded default, where both services share one process: an
 * in-memory store and a synchronous broadcast, with the same seeding, sequence and heartbeat
 * rules as Redis. One object is both sides: the auth service publishes to it, and every view (the
 * auth service's and the users service's) reads it as its feed. Valid only inside that one process.
 */
import { randomUUID } from 'node:crypto'
import { accountMember, type RevocationEntry, type RevocationFeed, type RevocationListener, type RevocationPublisher } from '@latchkey/contracts'

export type InProcessRevocationStore = RevocationPublisher & RevocationFeed

export function createInProcessRevocationStore (): InProcessRevocationStore {
  const sessions = new Map<string, number>()
  const accounts = new Map<string, RevocationEntry & { kind: 'account' }>()
  const keys = new Map<string, number>()
  const listeners = new Set<RevocationListener>()
  let epoch: string | undefined
  let seq = 0

  function prune (now: number): void {
    for (const [sid, expiresAt] of sessions) if (expiresAt <= now) sessions.delete(sid)
    for (const [member, entry] of accounts) if (entry.expiresAt <= now) accounts.delete(member)
    for (const [kid, expiresAt] of keys) if (expiresAt <= now) keys.delete(kid)
  }

  function record (entry: RevocationEntry): void {
    if (entry.kind === 'session') {
      sessions.set(entry.sid, Math.max(sessions.get(entry.sid) ?? 0, entry.expiresAt))
      return
    }
    if (entry.kind === 'key') {
      keys.set(entry.kid, Math.max(keys.get(entry.kid) ?? 0, entry.expiresAt))
      return
    }
    const member = accountMember(entry.sub, entry.minVersion)
    const expiresAt = Math.max(accounts.get(member)?.expiresAt ?? 0, entry.expiresAt)
    accounts.set(member, { kind: 'account', sub: entry.sub, minVersion: entry.minVersion, expiresAt })
  }

  return {
    async publish (entries) {
      for (const entry of entries) record(entry)
      prune(Date.now())
      for (const entry of entries) {
        seq++
        for (const listener of listeners) listener.onEntry({ ...entry }, seq)
      }
    },
    async seed (entries) {
      for (const entry of entries) record(entry)
      prune(Date.now())
      epoch = randomUUID()
      return epoch
    },
    async currentEpoch () { return epoch },
    async heartbeat (expected) {
      if (epoch !== expected) return false
      for (const listener of listeners) listener.onHeartbeat({ epoch, seq })
      return true
    },
    async loadAll (onPage) {
      const now = Date.now()
      const entries: RevocationEntry[] = []
      for (const [sid, expiresAt] of sessions) if (expiresAt > now) entries.push({ kind: 'session', sid, expiresAt })
      for (const entry of accounts.values()) if (entry.expiresAt > now) entries.push({ ...entry })
      for (const [kid, expiresAt] of keys) if (expiresAt > now) entries.push({ kind: 'key', kid, expiresAt })
      onPage(entries)
      return { epoch, seq }
    },
    subscribe (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    },
    isConnected () { return true },
    async close () { listeners.clear() }
  }
}
