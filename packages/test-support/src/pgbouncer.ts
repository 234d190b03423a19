/**
 * A real PgBouncer in transaction mode on a free port, in front of a real PostgreSQL: for the e2e
 * test of the services behind one, and for LATCHKEY_TEST_POSTGRES=pgbouncer, where every test
 * reaches its schema through one. Its databases can be added and removed while it runs (the admin
 * console's RELOAD answers once the new configuration is in force).
 */
import { spawn } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { freePort } from '@latchkey/postgres-kit'

export interface PgBouncerDatabase {
  /** The database on the server. */
  dbname: string
  /**
   * Run on each new server connection of this alias. A pool belongs to one alias, so
   * `SET search_path TO x` here pins every transaction through the alias to schema x.
   */
  connectQuery?: string
}

export interface PgBouncerOptions {
  /** The PostgreSQL behind it; its user is the admin console's. */
  server: string
  /** Aliases clients connect to, each with its own pool. */
  databases?: Record<string, PgBouncerDatabase>
  /** Roles besides the server's user that may log in (trusted: PgBouncer checks no password). */
  roles?: string[]
  /** Server connections per alias and role. */
  poolSize?: number
}

export interface PgBouncer {
  port: number
  /** A URL of `alias` through PgBouncer (as the server's user, or `role`). */
  url: (alias: string, role?: string) => string
  /** Adds an alias, in force when this resolves. */
  addDatabase: (alias: string, database: PgBouncerDatabase) => Promise<void>
  /** Removes an alias: its pool and server connections are closed. */
  removeDatabase: (alias: string) => Promise<void>
  /** An admin console command (`SHOW POOLS`, …): its rows. */
  admin: (command: string) => Promise<Array<Record<string, unknown>>>
  /** Everything it logged so far. */
  output: () => string
  stop: () => Promise<void>
  /** For a process exit handler, where nothing can be awaited. */
  stopNow: () => void
}

function pgbouncerBinary (): string {
  for (const candidate of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer']) if (existsSync(candidate)) return candidate
  return 'pgbouncer'
}

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`

export async function startPgBouncer (options: PgBouncerOptions): Promise<PgBouncer> {
  const server = new URL(options.server)
  const serverUser = decodeURIComponent(server.username) || 'postgres'
  const serverPassword = decodeURIComponent(server.password)
  const databases = new Map(Object.entries(options.databases ?? {}))
  const directory = await mkdtemp(join(tmpdir(), 'latchkey-pgbouncer-'))
  // PgBouncer refuses to run as root; as root it is told to become postgres, who must read these.
  await chmod(directory, 0o755)
  const port = await freePort()
  const users = [`"${serverUser}" "${serverPassword.replace(/"/g, '""')}"`, ...(options.roles ?? []).map(role => `"${role}" ""`)]
  // Only the server connections need the password (PostgreSQL may ask for it); clients are trusted.
  await writeFile(join(directory, 'users.txt'), users.join('\n') + '\n', { mode: 0o644 })
  const configPath = join(directory, 'pgbouncer.ini')
  const writeConfig = async (): Promise<void> => {
    const host = `host=${server.hostname} port=${server.port === '' ? '5432' : server.port}`
    await writeFile(configPath, [
      '[databases]',
      ...[...databases].map(([alias, database]) =>
        `${alias} = ${host} dbname=${database.dbname}${database.connectQuery === undefined ? '' : ` connect_query=${quoted(database.connectQuery)}`}`),
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(directory, 'users.txt')}`,
      `admin_users = ${serverUser}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 1000',
      'server_reset_query =',
      ''
    ].join('\n'), { mode: 0o644 })
  }
  await writeConfig()

  const asRoot = process.getuid?.() === 0
  // Through a shell that stops it when our end of its stdin closes and then removes its directory:
  // a test process killed by a timeout (no exit handler runs) leaves neither behind.
  const child = spawn('/bin/sh', ['-c', 'dir=$1; shift; exec 3<&0; "$@" & pid=$!; (read -r _ <&3; kill $pid 2>/dev/null) & wait $pid; status=$?; rm -rf "$dir"; exit $status', 'sh',
    directory, pgbouncerBinary(), ...(asRoot ? ['-u', 'postgres'] : []), configPath], { stdio: ['pipe', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-200_000) }
  child.stdout.on('data', keep)
  child.stderr.on('data', keep)
  const exited = new Promise(resolve => child.once('exit', resolve))
  // A test process ends when its tests do: this child, kept for the process's life, must not hold it.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void }).unref?.()
  const deadline = Date.now() + 10_000
  for (;;) {
    if (/process up|listening on 127\.0\.0\.1/.test(output)) break
    if (child.exitCode !== null || Date.now() > deadline) {
      child.stdin.destroy()
      await rm(directory, { recursive: true, force: true })
      throw new Error(`pgbouncer ${child.exitCode === null ? 'not up within 10 s' : 'exited'}:\n${output}`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  const url = (alias: string, role?: string): string => {
    const through = new URL(server)
    through.host = `127.0.0.1:${port}`
    through.pathname = `/${alias}`
    if (role !== undefined) {
      through.username = role
      through.password = ''
    }
    return through.toString()
  }
  // The admin console speaks the simple query protocol only, and has no pg_type to fetch.
  // Closed when idle (a second), so it never holds the test process open.
  const adminConsole = postgres(url('pgbouncer'), { max: 1, fetch_types: false, prepare: false, onnotice: () => {}, connect_timeout: 5, idle_timeout: 1 })
  const admin = async (command: string): Promise<Array<Record<string, unknown>>> => [...await adminConsole.unsafe(command).simple()]
  // One change at a time: each writes the whole file, then RELOAD.
  let changes: Promise<unknown> = Promise.resolve()
  const change = async (apply: () => void): Promise<void> => {
    const next = changes.then(async () => {
      apply()
      await writeConfig()
      await admin('RELOAD')
    })
    changes = next.catch(() => {})
    await next
  }

  let stopped = false
  const stopNow = (): void => {
    if (stopped) return
    stopped = true
    child.stdin.destroy()
    rmSync(directory, { recursive: true, force: true })
  }
  return {
    port,
    url,
    addDatabase: async (alias, database) => { await change(() => databases.set(alias, database)) },
    removeDatabase: async alias => { await change(() => databases.delete(alias)) },
    admin,
    output: () => output,
    stopNow,
    async stop () {
      if (stopped) return
      await adminConsole.end({ timeout: 1 })
      stopped = true
      child.ref()
      child.stdin.end()
      await exited
      await rm(directory, { recursive: true, force: true })
    }
  }
}
