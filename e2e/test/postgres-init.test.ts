/**
 * deploy/postgres/init, run the way the postgres image runs it (once, as the superuser, with the
 * compose file's variables) against a fresh database on this machine's PostgreSQL; then the built
 * services start on it with their own roles, and each role is kept out of the other's schema.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { skipWithoutRedis } from '@latchkey/test-support'
import { authEnv, entryOf, freePort, isolate, repositoryRoot, runScript, spawnService, usersEnv } from './processes.js'

t.test('deploy/postgres/init/10-latchkey-roles.sh', { skip: await skipWithoutRedis() }, async t => {
  const isolation = await isolate(t)
  const server = new URL(isolation.env.DATABASE_URL)
  const suffix = randomBytes(4).toString('hex')
  const database = `latchkey_init_${suffix}`
  const roles = { auth: `lk_auth_${suffix}`, users: `lk_users_${suffix}`, other: `lk_other_${suffix}` }
  const admin = connectPostgres({ url: isolation.env.DATABASE_URL, schema: 'public', max: 1 })
  await admin.unsafe(`CREATE DATABASE ${database}`)
  t.teardown(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    for (const role of Object.values(roles)) await admin.unsafe(`DROP ROLE IF EXISTS ${role}`)
    await closePostgres(admin)
  })
  const urlOf = (role: string): string => {
    const url = new URL(server)
    url.username = role
    url.password = 'not-checked-by-trust-auth'
    url.pathname = `/${database}`
    return url.toString()
  }

  const result = await runScript(join(repositoryRoot, 'deploy/postgres/init/10-latchkey-roles.sh'), {
    PGHOST: server.hostname,
    PGPORT: server.port === '' ? '5432' : server.port,
    POSTGRES_USER: decodeURIComponent(server.username) || 'postgres',
    POSTGRES_DB: database,
    LATCHKEY_AUTH_DB_USER: roles.auth,
    LATCHKEY_USERS_DB_USER: roles.users,
    LATCHKEY_AUTH_DB_PASSWORD: randomBytes(12).toString('hex'),
    LATCHKEY_USERS_DB_PASSWORD: randomBytes(12).toString('hex')
  })
  t.equal(result.code, 0, result.output)

  t.test('refuses to run without the role passwords', async t => {
    const missing = await runScript(join(repositoryRoot, 'deploy/postgres/init/10-latchkey-roles.sh'), { POSTGRES_DB: database })
    t.not(missing.code, 0)
    t.match(missing.output, /LATCHKEY_AUTH_DB_PASSWORD must be set/)
  })

  t.test('lets the built services migrate and become ready under their own roles', async t => {
    const authPort = await freePort()
    const auth = await spawnService(t, entryOf('auth'), authEnv(isolation, authPort, { DATABASE_URL: urlOf(roles.auth) }), { port: authPort })
    const usersPort = await freePort()
    const users = await spawnService(t, entryOf('users'), usersEnv(isolation, usersPort, auth.url, { DATABASE_URL: urlOf(roles.users) }), { port: usersPort })
    t.equal((await fetch(`${users.url}/health/ready`)).status, 200)
    await users.stop()
    await auth.stop()

    const superuser = connectPostgres({ url: urlOf(decodeURIComponent(server.username) || 'postgres'), schema: 'public', max: 1 })
    t.teardown(async () => { await closePostgres(superuser) })
    const owners = await superuser.unsafe<Array<{ schema: string, owner: string }>>(`
      SELECT nspname AS schema, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = ANY($1)`,
    [[isolation.env.AUTH_DATABASE_SCHEMA, isolation.env.USERS_DATABASE_SCHEMA]])
    t.same(Object.fromEntries(owners.map(row => [row.schema, row.owner])), {
      [isolation.env.AUTH_DATABASE_SCHEMA]: roles.auth,
      [isolation.env.USERS_DATABASE_SCHEMA]: roles.users
    }, 'each schema is owned by its service\'s role')
  })

  t.test('ASVS 13.2.2: keeps each service\'s role out of the other\'s schema', async t => {
    const asAuth = connectPostgres({ url: urlOf(roles.auth), schema: isolation.env.AUTH_DATABASE_SCHEMA, max: 1 })
    const asUsers = connectPostgres({ url: urlOf(roles.users), schema: isolation.env.USERS_DATABASE_SCHEMA, max: 1 })
    t.teardown(async () => { await closePostgres(asAuth); await closePostgres(asUsers) })
    await t.rejects(asAuth.unsafe(`SELECT count(*) FROM ${isolation.env.USERS_DATABASE_SCHEMA}.profiles`), { code: '42501' })
    await t.rejects(asUsers.unsafe(`SELECT count(*) FROM ${isolation.env.AUTH_DATABASE_SCHEMA}.accounts`), { code: '42501' })
    t.same(await asAuth.unsafe('SELECT count(*)::int AS n FROM accounts'), [{ n: 0 }], 'while its own tables answer')
    // Every table of the auth schema, not only accounts: sessions, signing keys, outbox, secrets …
    const tables = await asAuth<Array<{ tablename: string }>>`SELECT tablename FROM pg_tables WHERE schemaname = ${isolation.env.AUTH_DATABASE_SCHEMA}`
    t.ok(tables.length >= 5, `${tables.length} auth tables`)
    for (const { tablename } of tables) {
      await t.rejects(asUsers.unsafe(`SELECT 1 FROM ${isolation.env.AUTH_DATABASE_SCHEMA}.${tablename} LIMIT 1`), { code: '42501' }, `auth.${tablename}`)
    }
    t.same(await asUsers`SELECT has_schema_privilege(${roles.users}, ${isolation.env.AUTH_DATABASE_SCHEMA}, 'USAGE') AS usage`, [{ usage: false }])
  })

  t.test('lets no other role connect', async t => {
    await admin.unsafe(`CREATE ROLE ${roles.other} LOGIN`)
    const asOther = connectPostgres({ url: urlOf(roles.other), schema: 'public', max: 1 })
    await t.rejects(asOther`SELECT 1`, { code: '42501' })
    await closePostgres(asOther)
  })
})
