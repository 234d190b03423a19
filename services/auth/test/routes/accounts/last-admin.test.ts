import t from 'tap'
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import type { Sql } from 'postgres'
import { testRedisUrl } from '@latchkey/test-support'
import { bearer, build, logIn, problemOf, strongPassword, uniqueEmail } from '../../helper.js'

const cli = fileURLToPath(new URL('../../../src/cli.js', import.meta.url))

async function activeAdmins (sql: Sql): Promise<number> {
  const [row] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM accounts WHERE status = 'active' AND 'admin' = ANY(roles)`
  return row?.n ?? 0
}

async function newAdmin (app: FastifyInstance): Promise<{ id: string, email: string, headers: Record<string, string> }> {
  const email = uniqueEmail()
  const account = await app.accounts.register({ email, password: strongPassword, name: 'Admin' }, { roles: ['user', 'admin'] })
  return { id: account.id, email, headers: bearer((await logIn(app, email)).accessToken) }
}

t.test('the last active administrator cannot be removed: 409 last_admin (ASVS 8.2.1, 15.4.2)', async t => {
  t.test('the only admin cannot demote, disable or delete itself, by the admin routes or DELETE /accounts/me', async t => {
    const { app, sql } = await build(t)
    const admin = await newAdmin(app)
    const attempts = [
      { method: 'PATCH' as const, url: `/accounts/${admin.id}`, payload: { roles: ['user'] } },
      { method: 'PATCH' as const, url: `/accounts/${admin.id}`, payload: { status: 'disabled' } },
      { method: 'PATCH' as const, url: `/accounts/${admin.id}`, payload: { status: 'disabled', roles: ['user', 'admin'] } },
      { method: 'DELETE' as const, url: `/accounts/${admin.id}` },
      { method: 'DELETE' as const, url: '/accounts/me', payload: { password: strongPassword } }
    ]
    for (const attempt of attempts) {
      const response = await app.inject({ ...attempt, headers: admin.headers })
      t.equal(response.statusCode, 409, `${attempt.method} ${attempt.url} ${JSON.stringify(attempt.payload)}`)
      t.equal(problemOf(response).code, 'last_admin')
      t.match(response.headers['content-type'], /^application\/problem\+json/)
    }
    t.equal(await activeAdmins(sql), 1, 'still one active admin')
    const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: admin.headers })
    t.equal(me.statusCode, 200, 'its token still works')
    t.same([...me.json<{ roles: string[] }>().roles].sort(), ['admin', 'user'])
  })

  t.test('with a second admin, one may remove the other; the one left is then the last', async t => {
    const { app, sql } = await build(t)
    const first = await newAdmin(app)
    const second = await newAdmin(app)
    const demoted = await app.inject({ method: 'PATCH', url: `/accounts/${second.id}`, headers: first.headers, payload: { roles: ['user'] } })
    t.equal(demoted.statusCode, 200)
    t.same(demoted.json<{ roles: string[] }>().roles, ['user'])
    const self = await app.inject({ method: 'PATCH', url: `/accounts/${first.id}`, headers: first.headers, payload: { status: 'disabled' } })
    t.equal(self.statusCode, 409)
    t.equal(problemOf(self).code, 'last_admin')
    // A disabled admin is no administrator: demoting or deleting it leaves the count alone.
    const third = await newAdmin(app)
    t.equal((await app.inject({ method: 'PATCH', url: `/accounts/${third.id}`, headers: first.headers, payload: { status: 'disabled' } })).statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: `/accounts/${third.id}`, headers: first.headers })).statusCode, 204)
    t.equal(await activeAdmins(sql), 1)
  })

  t.test('two admins removing each other at the same moment never leave zero active admins', async t => {
    const { app, sql } = await build(t)
    const operations = [
      { name: 'demote', payload: { roles: ['user'] } },
      { name: 'disable', payload: { status: 'disabled' } },
      { name: 'delete' }
    ]
    for (const operation of operations) {
      for (let round = 0; round < 3; round++) {
        const a = await newAdmin(app)
        const b = await newAdmin(app)
        // Every other admin of the schema is removed first, so a and b are the only ones.
        await sql`UPDATE accounts SET status = 'disabled' WHERE 'admin' = ANY(roles) AND id NOT IN (${a.id}, ${b.id})`
        const against = (actor: typeof a, target: typeof a) => operation.payload === undefined
          ? app.inject({ method: 'DELETE', url: `/accounts/${target.id}`, headers: actor.headers })
          : app.inject({ method: 'PATCH', url: `/accounts/${target.id}`, headers: actor.headers, payload: operation.payload })
        const answers = await Promise.all([against(a, b), against(b, a)])
        const statuses = answers.map(answer => answer.statusCode).sort()
        t.same(statuses, [operation.payload === undefined ? 204 : 200, 409], `${operation.name}, round ${round}: one wins, one is refused`)
        t.same(answers.filter(answer => answer.statusCode === 409).map(answer => problemOf(answer).code), ['last_admin'])
        t.equal(await activeAdmins(sql), 1, `${operation.name}, round ${round}: one active admin remains`)
      }
    }
  })

  t.test('latchkey-admin disable refuses the last admin (exit 1, last_admin) and disables one of two', async t => {
    const redisUrl = await testRedisUrl()
    const { app, sql, schema, prefix, config, database } = await build(t)
    const only = await newAdmin(app)
    const run = async (args: string[]): Promise<{ code: number | null, stderr: string }> => await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: { PATH: process.env.PATH ?? '', ...database.env, ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }), AUTH_DATABASE_SCHEMA: schema, REDIS_PREFIX: prefix, AUTH_ISSUER: 'http://auth.test', LOG_LEVEL: 'warn', SECRETS_KEY: config.SECRETS_KEY ?? '' },
        stdio: ['ignore', 'ignore', 'pipe']
      })
      let stderr = ''
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', reject)
      child.once('exit', code => { resolve({ code, stderr }) })
    })
    const refused = await run(['disable', only.email])
    t.equal(refused.code, 1)
    t.match(refused.stderr, /last_admin/)
    t.equal(await activeAdmins(sql), 1)
    await newAdmin(app)
    const allowed = await run(['disable', only.email])
    t.equal(allowed.code, 0, allowed.stderr)
    t.equal(await activeAdmins(sql), 1)
    t.equal((await app.inject({ method: 'GET', url: `/accounts/${randomUUID()}`, headers: only.headers })).statusCode, 401, 'the disabled admin\'s token is dead')
  })
})
