/**
 * What the Redis topologies of the tests (Sentinel, Cluster) share: redis-server processes on
 * free ports owned by one test, killed by PID and awaited in `stop()`, which also removes their
 * directory; redis-cli as the probe; and waiting for a condition that fails at once when one of
 * the processes exits on its own (its port taken meanwhile, say).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { rm } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** How redis-cli logs in: a password (the default user's, requirepass) or an ACL user. */
type RedisLogin = string | { username: string, password: string } | undefined

/** redis-cli's arguments for `login`. */
export function loginArgs (login: RedisLogin): string[] {
  if (login === undefined) return []
  return typeof login === 'string' ? ['--no-auth-warning', '-a', login] : ['--no-auth-warning', '--user', login.username, '-a', login.password]
}

export async function redisCli (port: number, login: RedisLogin, ...args: string[]): Promise<string> {
  return await redisCliTimed(2000, ['-h', '127.0.0.1', '-p', String(port), ...loginArgs(login), ...args])
}

export async function redisCliTimed (timeoutMs: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', args, { timeout: timeoutMs })
  return stdout
}

/**
 * What starts a node instead of redis-server itself: a script that passes its arguments on to
 * redis-server and execs it (deploy/redis/start-redis.sh), with only PATH and `env` set.
 */
export interface RedisLauncher {
  command: string
  env: Record<string, string>
}

export interface RedisProcesses {
  /** Starts `redis-server args` (or `launcher.command args`) as the process of `port`, replacing one that was killed. */
  start: (port: number, args: string[], launcher?: RedisLauncher) => void
  /** SIGKILLs the process of `port` and waits for its exit. */
  kill: (port: number) => Promise<void>
  /** Polls `probe` until it yields a value; throws after `timeoutMs` or once a process exited on its own. */
  until: <T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) => Promise<T>
  /** Kills every process and removes `dir`. */
  stop: () => Promise<void>
}

export function redisProcesses (label: string, dir: string): RedisProcesses {
  const children = new Map<number, ChildProcess>()
  const exits = new Map<ChildProcess, Promise<void>>()
  const killed = new Set<ChildProcess>()
  let failed: Error | undefined

  return {
    start (port, args, launcher) {
      const child = launcher === undefined
        ? spawn('redis-server', args, { stdio: 'ignore' })
        : spawn(launcher.command, args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '', ...launcher.env } })
      children.set(port, child)
      exits.set(child, new Promise(resolve => {
        child.once('exit', code => {
          if (!killed.has(child)) failed ??= new Error(`${label}: the process on port ${port} exited with code ${code}`)
          resolve()
        })
      }))
    },
    async kill (port) {
      const child = children.get(port)
      if (child === undefined) throw new Error(`${label}: no process listens on ${port}`)
      killed.add(child)
      child.kill('SIGKILL')
      await exits.get(child)
    },
    async until (what, timeoutMs, probe) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (failed !== undefined) throw failed
        const value = await probe().catch(() => undefined)
        if (value !== undefined) return value
        if (Date.now() > deadline) throw new Error(`${label}: ${what} within ${timeoutMs} ms`)
        await new Promise(resolve => setTimeout(resolve, 50))
      }
    },
    async stop () {
      await Promise.all([...children.values()].map(async child => {
        killed.add(child)
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await exits.get(child)
      }))
      children.clear()
      await rm(dir, { recursive: true, force: true })
    }
  }
}
