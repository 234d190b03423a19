/**
 * A log-in or a refresh in flight while the account changes under it. Each race is forced, not
 * hoped for: a log-in is held in the password-hash queue (one hashing slot, kept busy), a refresh
 * or an account change is held on a lock the test takes in PostgreSQL, and every step waits for a
 * state it can observe (a queue depth, a backend blocked on a lock), never for a fixed time.
 */
import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Sql } from 'postgres'
import type { TokenPair } from '@latchkey/contracts'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { testDatabaseUrl } from '@latchkey/test-support'
import { bearer, build, eventually, logIn, problemOf, register, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

/** Backends blocked on a lock that touch a table of this test's schema. */
async function blockedBackends (sql: Sql, schema: string): Promise<number> {
  const [row] = await sql<Array<{ n: number }>>`
    SELECT count(DISTINCT a.pid)::int AS n FROM pg_stat_activity a
    JOIN pg_locks l ON l.pid = a.pid
    JOIN pg_class c ON c.oid = l.relation
    JOIN pg_namespace ns ON ns.oid = c.relnamespace
    WHERE ns.nspname = ${schema} AND cardinality(pg_blocking_pids(a.pid)) > 0`
  return row?.n ?? 0
}

/** Runs `hold` inside a transaction that keeps its locks until `release()` is called. */
function holdInTransaction (sql: Sql, hold: (tx: Sql) => Promise<unknown>): { held: Promise<void>, release: () => void, done: Promise<void> } {
  let release = (): void => {}
  let held = (): void => {}
  const heldPromise = new Promise<void>(resolve => { held = resolve })
  const released = new Promise<void>(resolve => { release = resolve })
  const done = sql.begin(async tx => {
    await hold(tx as unknown as Sql)
    held()
    await released
  }).then(() => {})
  return { held: heldPromise, release, done }
}

/** Resolves once the wall clock is in a later second than `ms` (so an iat cannot equal its cut-off). */
async function nextSecondAfter (ms: number): Promise<void> {
  const target = Math.ceil(ms / 1000) * 1000
  if (!await eventually(async () => Date.now() >= target, 2000, 20)) throw new Error('clock did not advance')
}

function settled<T> (promise: Promise<T>): { promise: Promise<T>, isSettled: () => boolean } {
  let done = false
  const tracked = promise.finally(() => { done = true })
  return { promise: tracked, isSettled: () => done }
}

async function refreshOf (app: FastifyInstance, refreshToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken } })
}

async function verifyOf (app: FastifyInstance, accessToken: string): Promise<LightMyRequestResponse> {
  return await app.inject({ method: 'GET', url: '/verify', headers: bearer(accessToken) })
}

t.test('a log-in in flight (queued for its password check) never outlives a password change or a disable (ASVS 7.4.2, 7.4.3, 15.4.2)', async t => {
  // One hashing slot and a costly hash: a log-in queued behind a few hashes waits long enough for
  // the account to change under it.
  // A queue bound of its own: the one measured at start-up on a busy machine could be below `ahead`.
  const { app, buildReplica } = await build(t, { env: { PASSWORD_HASH_CONCURRENCY: '1', ARGON2_TIME_COST: '16', PASSWORD_HASH_QUEUE_MAX: '100' } })
  const other = await buildReplica()
  const adminEmail = uniqueEmail()
  await app.accounts.register({ email: adminEmail, password: strongPassword, name: 'Admin' }, { roles: ['user', 'admin'] })
  const admin = await logIn(app, adminEmail)

  /** Starts a log-in on `app` that waits behind `ahead` hashes; resolves once it is queued. */
  async function queuedLogIn (email: string, password: string): Promise<{ promise: Promise<LightMyRequestResponse>, isSettled: () => boolean }> {
    // Eight: the account change on the other replica checks one password and hashes another, and
    // on a busy machine (CI runs two suites at once) four hashes ahead were once not enough.
    const ahead = 8
    const blockers = Array.from({ length: ahead }, async () => await app.passwordHasher.hashPassword('a hash that keeps the slot busy'))
    t.ok(await eventually(async () => app.passwordHasher.queueDepth === ahead - 1, 5000, 5), 'the hashing slot is busy')
    const login = settled(app.inject({ method: 'POST', url: '/sessions', payload: { email, password } }))
    t.ok(await eventually(async () => app.passwordHasher.queueDepth === ahead, 5000, 5), 'the log-in read the account and queued its password check')
    void Promise.all(blockers)
    return login
  }

  t.test('a password change while the old password is being checked: the log-in gets no live session', async t => {
    const user = await registeredUser(other)
    const login = await queuedLogIn(user.email, strongPassword)
    const changed = await other.inject({
      method: 'PUT', url: '/accounts/me/password', headers: bearer(user.tokens.accessToken), payload: { currentPassword: strongPassword, newPassword: 'a completely new passphrase' }
    })
    t.equal(changed.statusCode, 204)
    t.notOk(login.isSettled(), 'the change committed while the log-in was still waiting (the race happened)')
    const answer = await login.promise
    if (answer.statusCode === 201) {
      const pair = answer.json<TokenPair>()
      t.equal((await refreshOf(app, pair.refreshToken)).statusCode, 401, 'its refresh token is refused')
      t.equal((await verifyOf(app, pair.accessToken)).statusCode, 401, 'its access token is refused')
    }
    t.equal(answer.statusCode, 401, 'the old password no longer logs in')
    t.equal(problemOf(answer).code, 'invalid_credentials')
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: 'a completely new passphrase' } })).statusCode, 201, 'the new one does')
  })

  t.test('a disable while the password is being checked: the log-in gets no live session', async t => {
    const user = await registeredUser(app)
    const login = await queuedLogIn(user.email, strongPassword)
    const disabled = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: bearer(admin.accessToken), payload: { status: 'disabled' } })
    t.equal(disabled.statusCode, 200)
    t.notOk(login.isSettled(), 'the disable committed while the log-in was still waiting (the race happened)')
    const answer = await login.promise
    if (answer.statusCode === 201) {
      const pair = answer.json<TokenPair>()
      t.equal((await refreshOf(app, pair.refreshToken)).statusCode, 401, 'its refresh token is refused')
      t.equal((await verifyOf(app, pair.accessToken)).statusCode, 401, 'its access token is refused')
    }
    t.equal(answer.statusCode, 403)
    t.equal(problemOf(answer).code, 'account_disabled')
  })
})

t.test('a refresh racing an account change never mints a token that outlives it (ASVS 7.4.2, 8.3.2, 15.4.2)', async t => {
  const { app, schema } = await build(t)
  // The test's lock holder and observer have connections of their own, straight to PostgreSQL:
  // behind PgBouncer the app's pool has two server connections, both needed by the raced requests.
  const sql = connectPostgres({ url: await testDatabaseUrl(), schema, max: 2 })
  t.teardown(async () => { await closePostgres(sql) })
  const adminEmail = uniqueEmail()
  await app.accounts.register({ email: adminEmail, password: strongPassword, name: 'Admin' }, { roles: ['user', 'admin'] })
  const asAdmin = bearer((await logIn(app, adminEmail)).accessToken)

  t.test('a demotion committed while a refresh is in flight: the new token carries the roles current at issue', async t => {
    const account = await register(app)
    await app.accounts.update(account.id, { roles: ['admin'] })
    const tokens = await logIn(app, account.email)
    // The demotion is held just before its commit, with the account row locked and its cut-off taken.
    const gate = holdInTransaction(sql, async tx => await tx`LOCK TABLE revocations IN SHARE MODE`)
    await gate.held
    const demotion = app.inject({ method: 'PATCH', url: `/accounts/${account.id}`, headers: asAdmin, payload: { roles: ['user'] } })
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 1, 5000), 'the demotion is in flight')
    await nextSecondAfter(Date.now())
    const refresh = settled(refreshOf(app, tokens.refreshToken))
    t.ok(await eventually(async () => refresh.isSettled() || await blockedBackends(sql, schema) === 2, 5000), 'the refresh ran or waits')
    gate.release()
    await gate.done
    t.equal((await demotion).statusCode, 200)
    const answer = await refresh.promise
    t.equal(answer.statusCode, 200)
    const verified = await verifyOf(app, answer.json<TokenPair>().accessToken)
    if (verified.statusCode === 200) t.notOk(verified.json<{ roles: string[] }>().roles.includes('admin'), 'a live token does not carry the removed role')
    else t.equal(verified.statusCode, 401)
    t.equal(verified.statusCode, 200, 'the refreshed token is valid, with the new roles')
  })

  t.test('a deletion racing a refresh: no token minted by the refresh outlives the deletion', async t => {
    const user = await registeredUser(app)
    // The session row is held so that the refresh and the deletion both queue on it.
    const gate = holdInTransaction(sql, async tx => await tx`SELECT id FROM sessions WHERE id = ${user.tokens.sessionId} FOR UPDATE`)
    await gate.held
    const refresh = settled(refreshOf(app, user.tokens.refreshToken))
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 1, 5000), 'the refresh waits')
    const deletion = app.inject({ method: 'DELETE', url: `/accounts/${user.id}`, headers: asAdmin })
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 2, 5000), 'the deletion waits too')
    await nextSecondAfter(Date.now())
    gate.release()
    await gate.done
    t.equal((await deletion).statusCode, 204)
    const answer = await refresh.promise
    if (answer.statusCode === 200) {
      const pair = answer.json<TokenPair>()
      t.equal((await verifyOf(app, pair.accessToken)).statusCode, 401, 'the refreshed access token is dead')
      t.equal((await refreshOf(app, pair.refreshToken)).statusCode, 401, 'the refreshed refresh token is dead')
    } else {
      t.equal(answer.statusCode, 401)
    }
    t.equal((await app.inject({ method: 'GET', url: `/accounts/${user.id}`, headers: asAdmin })).statusCode, 404)
  })

  t.test('a disable racing a refresh: the refreshed token is dead and nothing deadlocks', async t => {
    const user = await registeredUser(app)
    const gate = holdInTransaction(sql, async tx => await tx`SELECT id FROM sessions WHERE id = ${user.tokens.sessionId} FOR UPDATE`)
    await gate.held
    const refresh = settled(refreshOf(app, user.tokens.refreshToken))
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 1, 5000), 'the refresh waits')
    const disable = app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { status: 'disabled' } })
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 2, 5000), 'the disable waits too')
    gate.release()
    await gate.done
    t.equal((await disable).statusCode, 200)
    const answer = await refresh.promise
    t.ok(answer.statusCode === 200 || answer.statusCode === 401, `the refresh is answered, not failed (${answer.statusCode})`)
    if (answer.statusCode === 200) {
      const pair = answer.json<TokenPair>()
      t.equal((await verifyOf(app, pair.accessToken)).statusCode, 401, 'the refreshed access token is dead')
      t.equal((await refreshOf(app, pair.refreshToken)).statusCode, 401, 'the refreshed refresh token is dead')
    }
  })

  t.test('log out everywhere racing a refresh: both finish (one lock order), the refreshed token is dead', async t => {
    const user = await registeredUser(app)
    const gate = holdInTransaction(sql, async tx => await tx`SELECT id FROM sessions WHERE id = ${user.tokens.sessionId} FOR UPDATE`)
    await gate.held
    const refresh = settled(refreshOf(app, user.tokens.refreshToken))
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 1, 5000), 'the refresh waits')
    const everywhere = app.inject({ method: 'DELETE', url: '/sessions', headers: bearer(user.tokens.accessToken) })
    t.ok(await eventually(async () => await blockedBackends(sql, schema) === 2, 5000), 'log out everywhere waits too')
    gate.release()
    await gate.done
    t.equal((await everywhere).statusCode, 204)
    const answer = await refresh.promise
    t.ok(answer.statusCode === 200 || answer.statusCode === 401, `the refresh is answered, not failed (${answer.statusCode})`)
    if (answer.statusCode === 200) t.equal((await verifyOf(app, answer.json<TokenPair>().accessToken)).statusCode, 401, 'the refreshed access token is dead')
  })
})
