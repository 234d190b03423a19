/**
 * The write side of the revocation feed over Redis, the auth service's alone: records entries in
 * the store (sorted sets scored by expiry, so they prune themselves) and broadcasts each with its
 * sequence number, seeds the store from the source of truth under a new epoch, and sends the
 * heartbeat that keeps every guard's view fresh. Guards read the store through
 * @latchkey/fastify-jwt-guard's createRedisRevocationFeed.
 */
import { randomUUID } from 'node:crypto'
import { accountMember, keyMember, parseRevocationEntry, revocationKeys, type RevocationEntry, type RevocationPublisher } from '@latchkey/contracts'
import { closeRedis, connectRedis, sameSlot, type RedisSettings } from '@latchkey/redis-kit'
import { HEARTBEAT_SCRIPT, PUBLISH_SCRIPT } from './redis-revocation-scripts.js'

const CLOSE_TIMEOUT_MS = 1_000
/** Extra time a seed's chunked commands may take (start-up and after data loss, never a request). */
const SEED_SLACK_MS = 10_000
/** Members per ZADD while seeding: a million entries go in a thousand commands. */
const SEED_CHUNK = 1_000

function validated (entries: RevocationEntry[]): RevocationEntry[] {
  return entries.map(entry => {
    const parsed = parseRevocationEntry(entry)
    if (parsed === undefined) throw new TypeError('not a well-formed revocation entry')
    return parsed
  })
}

function memberOf (entry: RevocationEntry): string {
  if (entry.kind === 'session') return entry.sid
  return entry.kind === 'key' ? keyMember(entry.kid) : accountMember(entry.sub, entry.minVersion)
}

export interface RedisRevocationPublisherOptions extends RedisSettings {
  prefix: string
}

export function createRedisRevocationPublisher (options: RedisRevocationPublisherOptions): RevocationPublisher {
  const keys = revocationKeys(options.prefix, part => sameSlot(options, part))
  // Connection errors surface through the failing command instead.
  const commands = connectRedis(options)
  // Seeds on their own connection: publishes and heartbeats never queue behind their chunks.
  const seeder = connectRedis(options, { slackMs: SEED_SLACK_MS })

  async function publish (entries: RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return
    const args: Array<string | number> = [keys.channel, Date.now()]
    for (const entry of validated(entries)) {
      args.push(entry.kind === 'account' ? 'a' : 's', memberOf(entry), entry.expiresAt, JSON.stringify(entry))
    }
    await commands.eval(PUBLISH_SCRIPT, 3, keys.sessions, keys.accounts, keys.seq, ...args)
  }

  async function seed (entries: RevocationEntry[]): Promise<string> {
    const valid = validated(entries)
    for (let start = 0; start < valid.length; start += SEED_CHUNK * 50) {
      const pipeline = seeder.pipeline()
      for (let chunk = start; chunk < Math.min(valid.length, start + SEED_CHUNK * 50); chunk += SEED_CHUNK) {
        const sessionArgs: Array<string | number> = []
        const accountArgs: Array<string | number> = []
        for (const entry of valid.slice(chunk, chunk + SEED_CHUNK)) {
          (entry.kind === 'account' ? accountArgs : sessionArgs).push(entry.expiresAt, memberOf(entry))
        }
        if (sessionArgs.length > 0) pipeline.zadd(keys.sessions, 'GT', ...sessionArgs)
        if (accountArgs.length > 0) pipeline.zadd(keys.accounts, 'GT', ...accountArgs)
      }
      const results = await pipeline.exec()
      for (const [error] of results ?? []) if (error !== null) throw error
    }
    // The marker goes last: a store is only seeded once everything above is in it.
    const epoch = randomUUID()
    await seeder.set(keys.seeded, epoch)
    return epoch
  }

  return {
    publish,
    seed,
    async currentEpoch () { return await commands.get(keys.seeded) ?? undefined },
    async heartbeat (epoch) {
      return await commands.eval(HEARTBEAT_SCRIPT, 2, keys.seeded, keys.seq, keys.channel, epoch) === 1
    },
    async close () {
      await Promise.all([closeRedis(commands, CLOSE_TIMEOUT_MS), closeRedis(seeder, CLOSE_TIMEOUT_MS)])
    }
  }
}
