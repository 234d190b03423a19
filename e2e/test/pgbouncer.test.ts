/**
 * Both built services behind a real PgBouncer in transaction mode, on the roles
 * deploy/postgres/init creates (whose default search_path is each service's schema). The pool
 * has two server connections per role for many client connections, so consecutive transactions
 * of one service land on different server connections: anything kept in a session (a prepared
 * statement, a search_path set at connect) would break, which is what this test would see.
 */
import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import type { Account, Profile, TokenPair } from '@latchkey/contracts'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { skipWithoutRedis, startPgBouncer, testDatabaseUrl } from '@latchkey/test-support'
import { authEnv, call, entryOf, freePort, isolate, repositoryRoot, runScript, spawnService, usersEnv } from './processes.js'

const password = 'correct horse battery staple'

t.test('through PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction)', { skip: await skipWithoutRedis() }, async t => {
  const isolation = await isolate(t)
  const server = new URL(isolation.env.DATABASE_URL)
  const suffix = randomBytes(4).toString('hex')
  const database = `latchkey_pgb_${suffix}`
  const roles = { auth: `lk_pgb_auth_${suffix}`, users: `lk_pgb_users_${suffix}`, bare: `lk_pgb_bare_${suffix}` }
  const admin = connectPostgres({ url: isolation.env.DATABASE_URL, schema: 'public', max: 1 })
  await admin.unsafe(`CREATE DATABASE ${database}`)
  t.teardown(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    for (const role of Object.values(roles)) await admin.unsafe(`DROP ROLE IF EXISTS ${role}`)
    await closePostgres(admin)
  })
  const initialised = await runScript(join(repositoryRoot, 'deploy/postgres/init/10-latchkey-roles.sh'), {
    PGHOST: server.hostname,
    PGPORT: server.port === '' ? '5432' : server.port,
    POSTGRES_USER: decodeURIComponent(server.username) || 'postgres',
    POSTGRES_DB: database,
    LATCHKEY_AUTH_DB_USER: roles.auth,
    LATCHKEY_USERS_DB_USER: roles.users,
    LATCHKEY_AUTH_DB_SCHEMA: isolation.env.AUTH_DATABASE_SCHEMA,
    LATCHKEY_USERS_DB_SCHEMA: isolation.env.USERS_DATABASE_SCHEMA,
    LATCHKEY_AUTH_DB_PASSWORD: randomBytes(12).toString('hex'),
    LATCHKEY_USERS_DB_PASSWORD: randomBytes(12).toString('hex')
  })
  t.equal(initialised.code, 0, initialised.output)
  await admin.unsafe(`CREATE ROLE ${roles.bare} LOGIN; GRANT CONNECT, CREATE ON DATABASE ${database} TO ${roles.bare}`)

  const bouncer = await startPgBouncer({ server: isolation.env.DATABASE_URL, databases: { [database]: { dbname: database } }, roles: Object.values(roles) })
  t.teardown(bouncer.stop)
  const urlOf = (role: string, port: string): string => {
    const url = new URL(server)
    url.username = role
    url.password = 'not-checked-by-trust-auth'
    url.host = `127.0.0.1:${port}`
    url.pathname = `/${database}`
    return url.toString()
  }
  const pooled = (role: string): string => urlOf(role, String(bouncer.port))
  const direct = (role: string): string => urlOf(role, server.port === '' ? '5432' : server.port)
  const adminEmail = `admin-${suffix}@example.test`

  const authPort = await freePort()
  const auth = await spawnService(t, entryOf('auth'), authEnv(isolation, authPort, {
    DATABASE_URL: pooled(roles.auth),
    MIGRATION_DATABASE_URL: direct(roles.auth),
    DATABASE_POOL_MODE: 'transaction',
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: password
  }), { port: authPort })
  // The users service migrates through PgBouncer itself: its migrations are one transaction.
  const usersPort = await freePort()
  const users = await spawnService(t, entryOf('users'), usersEnv(isolation, usersPort, auth.url, {
    DATABASE_URL: pooled(roles.users),
    DATABASE_POOL_MODE: 'transaction'
  }), { port: usersPort })

  t.test('the whole account life cycle works, concurrently, through two server connections per service', async t => {
    const people = await Promise.all(Array.from({ length: 12 }, async (_, index) => {
      const email = `p${index}-${randomUUID()}@example.test`
      const created = await call(`${auth.url}/accounts`, 'POST', { body: { email, password, name: `Person ${index}` } })
      t.equal(created.status, 201, JSON.stringify(created.body))
      const session = await call(`${auth.url}/sessions`, 'POST', { body: { email, password } })
      t.equal(session.status, 201)
      return { id: (created.body as unknown as Account).id, email, tokens: session.body as unknown as TokenPair }
    }))
    const first = people[0]
    if (first === undefined) throw new Error('no account')

    const verified = await Promise.all(people.map(async person => await call(`${auth.url}/verify`, 'GET', { token: person.tokens.accessToken })))
    t.same(verified.map(answer => answer.status), people.map(() => 200))

    const refreshed = await Promise.all(people.map(async person => await call(`${auth.url}/sessions/refresh`, 'POST', { body: { refreshToken: person.tokens.refreshToken } })))
    t.same(refreshed.map(answer => answer.status), people.map(() => 200), 'refresh rotates (a locking transaction) on any server connection')

    const deadline = Date.now() + 10_000
    let profile = await call(`${users.url}/users/me`, 'GET', { token: first.tokens.accessToken })
    while (profile.status !== 200 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50))
      profile = await call(`${users.url}/users/me`, 'GET', { token: first.tokens.accessToken })
    }
    t.equal(profile.status, 200, 'the account event reached the users service')
    t.equal((profile.body as unknown as Profile).name, 'Person 0')
    const etagged = await fetch(`${users.url}/users/me`, { headers: { authorization: `Bearer ${first.tokens.accessToken}` } })
    const updated = await fetch(`${users.url}/users/me`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${first.tokens.accessToken}`, 'content-type': 'application/json', 'if-match': etagged.headers.get('etag') ?? '' },
      body: JSON.stringify({ name: 'Renamed' })
    })
    t.equal(updated.status, 200)
    t.equal(((await updated.json()) as Profile).name, 'Renamed')

    const adminSession = await call(`${auth.url}/sessions`, 'POST', { body: { email: adminEmail, password } })
    t.equal(adminSession.status, 201)
    const adminToken = (adminSession.body as unknown as TokenPair).accessToken
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page = await call(`${auth.url}/accounts?limit=5${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, 'GET', { token: adminToken })
      t.equal(page.status, 200)
      const body = page.body as unknown as { items: Account[], nextCursor: string | null }
      seen.push(...body.items.map(account => account.id))
      cursor = body.nextCursor
    } while (cursor !== null)
    t.equal(seen.length, people.length + 1, 'every account listed once across pages')

    const disabled = await call(`${auth.url}/accounts/${first.id}`, 'PATCH', { token: adminToken, body: { status: 'disabled' } })
    t.equal(disabled.status, 200)
    const second = people[1]
    if (second === undefined) throw new Error('no second account')
    t.equal((await call(`${auth.url}/sessions/current`, 'DELETE', { token: second.tokens.accessToken })).status, 204)
    t.equal((await call(`${auth.url}/accounts/me`, 'DELETE', { token: (refreshed[2]?.body as unknown as TokenPair).accessToken, body: { password } })).status, 204)

    const superuser = connectPostgres({ url: urlOf(decodeURIComponent(server.username) || 'postgres', server.port === '' ? '5432' : server.port), schema: 'public', max: 1 })
    t.teardown(async () => { await closePostgres(superuser) })
    const [counts] = await superuser.unsafe<Array<{ accounts: number, profiles: number, strays: number }>>(`
      SELECT (SELECT count(*)::int FROM ${isolation.env.AUTH_DATABASE_SCHEMA}.accounts) AS accounts,
             (SELECT count(*)::int FROM ${isolation.env.USERS_DATABASE_SCHEMA}.profiles) AS profiles,
             (SELECT count(*)::int FROM pg_tables WHERE schemaname = 'public') AS strays`)
    t.match(counts, { accounts: people.length, strays: 0 }, 'the rows are in the services\' schemas, none in public')
  })

  t.test('a role without the schema as its search_path is refused at start, before anything is written elsewhere', async t => {
    const port = await freePort()
    await t.rejects(spawnService(t, entryOf('auth'), authEnv(isolation, port, {
      DATABASE_URL: pooled(roles.bare),
      MIGRATION_DATABASE_URL: direct(roles.bare),
      DATABASE_POOL_MODE: 'transaction',
      AUTH_DATABASE_SCHEMA: `auth_bare_${suffix}`
    }), { port, timeoutMs: 20_000 }), /resolves tables in schema .* not .*search_path/s)
  })

  t.test('session mode through a transaction pooler fails at start instead of running half-pinned', async t => {
    const port = await freePort()
    await t.rejects(spawnService(t, entryOf('users'), usersEnv(isolation, port, auth.url, {
      DATABASE_URL: pooled(roles.users)
    }), { port, timeoutMs: 20_000 }), /search_path/)
  })
})

t.test('postgres.js through PgBouncer in transaction mode (DATABASE_POOL_MODE=transaction) writes no query behind a running one', async t => {
  const server = await testDatabaseUrl()
  const bouncer = await startPgBouncer({ server, databases: { latchkey: { dbname: decodeURIComponent(new URL(server).pathname.slice(1)) } } })
  t.teardown(bouncer.stop)
  const sql = connectPostgres({ url: bouncer.url('latchkey'), schema: 'public', poolMode: 'transaction', max: 1 })
  t.teardown(async () => { await closePostgres(sql) })
  await sql`SELECT 1`
  const answered = async (queries: Array<Promise<unknown>>): Promise<boolean> => await Promise.race([
    Promise.all(queries).then(() => true),
    new Promise<boolean>(resolve => setTimeout(resolve, 5000, false))
  ])

  // A query without parameters lets postgres.js write the next one behind it on the same
  // connection; PgBouncer 1.18 hands the server connection back at the first ReadyForQuery, and
  // the second query's answer went nowhere: the request hung (seen as stalled concurrent requests).
  for (let i = 0; i < 20; i++) {
    if (!await answered([sql`SELECT 1`, sql`SELECT ${i}::int AS i`])) {
      t.fail(`pair ${i + 1} of concurrent queries on one connection was never answered`)
      return
    }
  }
  t.pass('20 pairs of concurrent queries on one connection answered')

  // Without pipelining, sql.begin() needs patches/postgres@3.4.9.patch (UNSAFE_TRANSACTION before).
  const results = await Promise.all([
    sql.begin(async tx => (await tx<Array<{ n: number }>>`SELECT ${1}::int AS n`)[0]?.n),
    sql<Array<{ n: number }>>`SELECT 2 AS n`.then(rows => rows[0]?.n),
    sql.begin(async tx => { await tx`SELECT 1`; return (await tx<Array<{ n: number }>>`SELECT 3 AS n`)[0]?.n })
  ])
  t.same(results, [1, 2, 3], 'transactions and queries side by side on one connection')
})
