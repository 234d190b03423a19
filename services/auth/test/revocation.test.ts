import t from 'tap'
import { Redis } from 'ioredis'
import { MAX_TOKEN_LEEWAY_SECONDS, type RevocationEntry } from '@latchkey/contracts'
import { skipWithoutRedis, testRedisUrl } from '@latchkey/test-support'
import { bearer, build, eventually, problemOf, registeredUser } from './helper.js'

const refused = async (app: Parameters<typeof registeredUser>[0], token: string): Promise<boolean> => {
  const response = await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })
  return response.statusCode === 401 && problemOf(response).code === 'token_revoked'
}

t.test('revocation reaches a second replica through the feed (ASVS 7.4.1)', async t => {
  const { app, buildReplica } = await build(t)
  const replica = await buildReplica()
  const user = await registeredUser(app)
  t.equal((await replica.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })).statusCode, 204)
  t.ok(await refused(app, user.tokens.accessToken), 'refused at once by the replica that answered')
  // A generous bound: the oracle is the state the feed brings, not how fast a loaded machine gets there.
  t.ok(await eventually(async () => await refused(replica, user.tokens.accessToken), 10_000), 'refused by the other replica once the feed delivers')
})

t.test('a session revocation outlives its tokens by the largest leeway any guard may allow (a users service at TOKEN_LEEWAY=300 never sees the entry go first; ASVS 7.4.1)', async t => {
  const { app, feed } = await build(t)
  const user = await registeredUser(app)
  const { sid, exp } = JSON.parse(Buffer.from(user.tokens.accessToken.split('.')[1] ?? '', 'base64url').toString()) as { sid: string, exp: number }
  t.equal((await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })).statusCode, 204)
  const entries: RevocationEntry[] = []
  await feed.loadAll(page => { entries.push(...page) })
  const entry = entries.find(candidate => candidate.kind === 'session' && candidate.sid === sid)
  t.ok(entry, 'the session is in the feed')
  t.ok((entry?.expiresAt ?? 0) >= (exp + MAX_TOKEN_LEEWAY_SECONDS) * 1000, `kept until the token's exp + ${MAX_TOKEN_LEEWAY_SECONDS} s, though this service's own leeway is 0`)
})

t.test('a revocation survives Redis losing its data and a restart of the auth service', { skip: await skipWithoutRedis() }, async t => {
  // A Redis database index this test owns, so FLUSHDB touches nothing of any other test.
  const ownDb = `${(await testRedisUrl() ?? '').replace(/\/\d*$/, '')}/12`
  const redis = new Redis(ownDb)
  t.teardown(async () => { await redis.quit() })
  const first = await build(t, { redisUrl: ownDb, env: { LOG_LEVEL: 'silent' } })
  const user = await registeredUser(first.app)
  await first.app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })
  t.ok(await refused(first.app, user.tokens.accessToken))

  await redis.flushdb()
  t.ok(await eventually(async () => await first.feed.currentEpoch() !== undefined, 5000, 100), 'the auth service re-seeds Redis from PostgreSQL')
  const restarted = await first.buildReplica()
  t.ok(await refused(restarted, user.tokens.accessToken), 'a freshly started replica refuses the token')

  await first.app.close()
  await redis.flushdb()
  const again = await first.buildReplica()
  t.ok(await refused(again, user.tokens.accessToken), 'refused after Redis lost its data while the service restarted')
})

t.test('expired revocation rows are deleted; live ones stay (they re-seed Redis)', async t => {
  const { app, sql } = await build(t)
  await sql`INSERT INTO revocations (kind, subject_id, expires_at) VALUES
    ('session', gen_random_uuid(), now() - interval '2 minutes'),
    ('session', gen_random_uuid(), now() + interval '10 minutes')`
  await app.revoker.deleteExpired()
  const rows = await sql<Array<{ live: boolean }>>`SELECT expires_at > now() AS live FROM revocations`
  t.same(rows.map(row => row.live), [true])
})
