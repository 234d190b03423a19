/** Forks server.ts in a role (or a peer's server of scenario 10) and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ChildReply, ChildRequestBody } from './ipc.js'

const SERVER_ENTRY = fileURLToPath(new URL('../server.js', import.meta.url))
const START_TIMEOUT_MS = 60_000
const REQUEST_TIMEOUT_MS = 120_000

export interface ServerProcess {
  name: string
  url: string
  pid: number
  request<T extends ChildReply['type']> (body: ChildRequestBody, expect: T): Promise<Extract<ChildReply, { type: T }>>
  rss (gc?: boolean): Promise<number>
  /** CPU time (user + system) this process has used so far, µs. */
  cpuMicros (): Promise<number>
  stop (): Promise<void>
}

const live = new Set<ChildProcess>()
/** Last resort: never leave a server running when the runner dies. */
process.once('exit', () => { for (const child of live) child.kill('SIGKILL') })

export async function startServer (name: string, role: 'auth' | 'users' | 'baseline', env: Record<string, string>, logDir: string): Promise<ServerProcess> {
  return await startProcess(name, SERVER_ENTRY, [role], env, logDir)
}

/** A server that speaks the same IPC (ready, stats, close) from another entry file: the peers of scenario 10. */
export async function startProcess (name: string, entry: string, args: string[], env: Record<string, string>, logDir: string): Promise<ServerProcess> {
  const log = createWriteStream(join(logDir, `${name}.log`))
  const child = fork(entry, args, {
    env: { ...process.env, ...env },
    execArgv: ['--expose-gc', ...(process.env.BENCH_CPU_PROF === name ? ['--cpu-prof', `--cpu-prof-dir=${logDir}`] : [])],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc']
  })
  live.add(child)
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  let nextId = 1
  const pending = new Map<number, { resolve: (reply: ChildReply) => void, reject: (error: Error) => void }>()
  let exited = false
  child.on('exit', code => {
    exited = true
    live.delete(child)
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited (code ${String(code)}); see ${join(logDir, `${name}.log`)}`))
    pending.clear()
  })
  child.on('message', (message: ChildReply | { type: 'ready', port: number }) => {
    if (message.type === 'ready') return
    const waiter = pending.get(message.id)
    if (waiter === undefined) return
    pending.delete(message.id)
    if (message.type === 'error') waiter.reject(new Error(`${name}: ${message.message}`))
    else waiter.resolve(message)
  })

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms; see ${join(logDir, `${name}.log`)}`)) }, START_TIMEOUT_MS)
    child.on('message', (message: { type: string, port?: number }) => {
      if (message.type === 'ready') { clearTimeout(timer); resolve(message.port ?? 0) }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`${name} exited during start (code ${String(code)}); see ${join(logDir, `${name}.log`)}`)) })
  })

  async function request<T extends ChildReply['type']> (body: ChildRequestBody, expect: T): Promise<Extract<ChildReply, { type: T }>> {
    if (exited) throw new Error(`${name} is not running`)
    const id = nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${name}: no answer to ${body.type}`)) }, REQUEST_TIMEOUT_MS)
      pending.set(id, {
        resolve: reply => {
          clearTimeout(timer)
          if (reply.type === expect) resolve(reply as Extract<ChildReply, { type: T }>)
          else reject(new Error(`${name}: expected ${expect}, got ${reply.type}`))
        },
        reject: error => { clearTimeout(timer); reject(error) }
      })
      child.send({ ...body, id })
    })
  }

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    request,
    async rss (gc = true) { return (await request({ type: 'stats', gc }, 'stats')).rss },
    async cpuMicros () { return (await request({ type: 'stats' }, 'stats')).cpuMicros },
    async stop () {
      if (exited) return
      const gone = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
      const killer = setTimeout(() => { child.kill('SIGKILL') }, 15_000)
      await request({ type: 'close' }, 'closed').catch(() => { child.kill('SIGKILL') })
      await gone
      clearTimeout(killer)
    }
  }
}
