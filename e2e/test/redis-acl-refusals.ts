/**
 * What deploy/redis/latchkey.acl must refuse each service's user (NOPERM), on a single server and
 * on a Cluster alike: the keys are named as the mode names them (`tag`: the part unchanged, or a
 * Cluster hash tag `{part}`), with the default prefix the ACL's patterns assume.
 */
import type { Test } from 'tap'
import type { RedisClient } from '@latchkey/redis-kit'

/** The revocation store's and the event stream's key stems in one mode, e.g. `latchkey:revoked` or `latchkey:{revoked}`. */
export function aclKeys (tag: (part: string) => string = part => part): { revoked: string, events: string } {
  return { revoked: `latchkey:${tag('revoked')}`, events: `latchkey:${tag('account-events')}` }
}

/** Asserts that every attempt is refused with NOPERM (each started only when the one before settled). */
export async function assertRefused (t: Test, attempts: Array<() => Promise<unknown>>): Promise<void> {
  for (const attempt of attempts) await t.rejects(attempt(), /NOPERM/)
}

/** latchkey-users: no write to the revocation store, no counters, no forged event, no publish, no administration. */
export function refusedToUsers (redis: RedisClient, keys = aclKeys()): Array<() => Promise<unknown>> {
  return [
    async () => await redis.zadd(`${keys.revoked}:sessions`, Date.now() + 60_000, 'forged'),
    async () => await redis.zrem(`${keys.revoked}:account-versions`, 'x'),
    async () => await redis.set(`${keys.revoked}:seeded`, 'forged'),
    async () => await redis.del(`${keys.revoked}:sessions`),
    async () => await redis.publish('latchkey:revocations', '{}'),
    async () => await redis.get('latchkey:abuse:login:x'),
    async () => await redis.pttl('latchkey:abuse:login:x'),
    async () => await redis.xadd(keys.events, '*', 'event', '{}'),
    async () => await redis.xtrim(keys.events, 'MAXLEN', '0'),
    async () => await redis.xgroup('DESTROY', keys.events, 'users'),
    async () => await redis.keys('*'),
    async () => await redis.flushall(),
    async () => await redis.eval("return redis.call('GET', KEYS[1])", 1, `${keys.revoked}:seq`)
  ]
}

/** latchkey-auth: no administration, no key outside its own (the dead letters it may only trim). */
export function refusedToAuth (redis: RedisClient, keys = aclKeys()): Array<() => Promise<unknown>> {
  return [
    async () => await redis.flushall(),
    async () => await redis.flushdb(),
    async () => await redis.config('GET', 'dir'),
    async () => await redis.keys('*'),
    async () => await redis.call('SHUTDOWN', 'NOSAVE'),
    async () => await redis.call('ACL', 'LIST'),
    async () => await redis.set('other-app:key', 'x'),
    async () => await redis.get(`${keys.events}:dead`),
    async () => await redis.xgroup('DESTROY', keys.events, 'users')
  ]
}
