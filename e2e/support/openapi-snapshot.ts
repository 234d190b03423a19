/**
 * The committed OpenAPI documents (docs/openapi/auth.json, docs/openapi/users.json) against the ones
 * the services serve now, built by the launcher with test settings on this machine's PostgreSQL
 * (schemas of its own, dropped at the end) and in-process events.
 *   node e2e/dist/support/openapi-snapshot.js check    fails on any difference (`pnpm openapi:check`)
 *   node e2e/dist/support/openapi-snapshot.js update   writes them, after review (`pnpm openapi:update`)
 * A change to an API then shows up in review as a diff of these files.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startStack } from '@latchkey/launcher'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { freePort, testDatabaseUrl } from '@latchkey/test-support'

const mode = process.argv[2]
if (mode !== 'check' && mode !== 'update') {
  console.error('usage: openapi-snapshot.js check|update')
  process.exit(2)
}

const directory = join(fileURLToPath(new URL('../../../', import.meta.url)), 'docs', 'openapi')
const suffix = `openapi_${randomBytes(5).toString('hex')}`
const [authPort, usersPort] = [await freePort(), await freePort()]
const databaseUrl = await testDatabaseUrl()
const quiet = { info: () => {}, warn: () => {} }
const stack = await startStack({
  DATABASE_URL: databaseUrl,
  SECRETS_KEY: randomBytes(32).toString('base64'),
  AUTH_DATABASE_SCHEMA: `auth_${suffix}`,
  USERS_DATABASE_SCHEMA: `users_${suffix}`,
  AUTH_ISSUER: 'http://127.0.0.1:3001',
  AUTH_PORT: String(authPort),
  USERS_PORT: String(usersPort),
  METRICS_PORT: '0',
  LOG_LEVEL: 'silent'
}, quiet, { logger: false })

const stale: string[] = []
try {
  await mkdir(directory, { recursive: true })
  for (const [name, port, defaultPort] of [['auth', authPort, 3001], ['users', usersPort, 3002]] as const) {
    // The instance names its own address in `servers`: recorded as the default port, not the free
    // one this run happened to get.
    const text = await (await fetch(`http://127.0.0.1:${port}/docs/json`)).text()
    const document = `${JSON.stringify(JSON.parse(text.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${defaultPort}`)), null, 2)}\n`
    const file = join(directory, `${name}.json`)
    if (mode === 'update') {
      await writeFile(file, document)
      continue
    }
    const committed = await readFile(file, 'utf8').catch(() => '')
    if (committed !== document) stale.push(`docs/openapi/${name}.json`)
  }
} finally {
  await stack.close()
  const sql = connectPostgres({ url: databaseUrl, schema: 'public', max: 1 })
  await sql`DROP SCHEMA IF EXISTS ${sql(`auth_${suffix}`)} CASCADE`
  await sql`DROP SCHEMA IF EXISTS ${sql(`users_${suffix}`)} CASCADE`
  await closePostgres(sql)
}

if (stale.length > 0) {
  console.error(`The OpenAPI documents the services serve differ from ${stale.join(' and ')}.`)
  console.error('If the API change is intended, run `pnpm openapi:update` and commit the diff for review.')
  process.exit(1)
}
console.log(mode === 'update' ? 'docs/openapi/ written' : 'docs/openapi/ matches both services')
process.exit(0)
