/**
 * Dependencies a fault test may break on purpose: a redis-server of its own (stopped and started
 * again, or paused so that it black-holes every command, at will), and a TCP proxy in front of the shared PostgreSQL that can cut every connection
 * without touching the server other tests use.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { freePort } from '@latchkey/postgres-kit'

async function waitForPort (port: number, up: boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>(resolve => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })
    if (open === up) return
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error(`port ${port} did not go ${up ? 'up' : 'down'}`)
}

export interface OwnRedis {
  url: string
  stop (): Promise<void>
  start (): Promise<void>
  /** SIGSTOP: connections are still accepted (by the kernel) but nothing is ever answered. */
  pause (): void
  /** SIGCONT: answers again, including everything sent while paused. */
  resume (): void
}

/** A redis-server on a free port, owned by the caller; `stop()` it in teardown. */
export async function startOwnRedis (): Promise<OwnRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    await waitForPort(port, true)
  }
  const stop = async (): Promise<void> => {
    if (child === undefined || child.exitCode !== null) return
    const exited = new Promise(resolve => child?.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
    await waitForPort(port, false)
  }
  const signal = (name: 'SIGSTOP' | 'SIGCONT'): void => {
    if (child === undefined || child.exitCode !== null) throw new Error('the redis-server is not running')
    child.kill(name)
  }
  await start()
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    pause () { signal('SIGSTOP') },
    resume () { signal('SIGCONT') }
  }
}

export interface TcpProxy {
  /** The target URL with its host and port replaced by the proxy's. */
  url: string
  /** Refuses new connections and destroys open ones: the dependency looks down. */
  cut (): Promise<void>
  restore (): Promise<void>
  close (): Promise<void>
}

export async function startTcpProxy (targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl)
  const targetPort = Number(target.port === '' ? 5432 : target.port)
  const port = await freePort()
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = async (): Promise<void> => {
    server = createServer(client => {
      const upstream = connect({ host: target.hostname, port: targetPort })
      sockets.add(client)
      sockets.add(upstream)
      const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
      client.pipe(upstream).pipe(client)
    })
    await new Promise<void>(resolve => server?.listen(port, '127.0.0.1', resolve))
  }
  const cut = async (): Promise<void> => {
    for (const socket of sockets) socket.destroy()
    sockets.clear()
    await new Promise<void>(resolve => { if (server === undefined) resolve(); else server.close(() => { resolve() }) })
    server = undefined
  }
  await listen()
  const url = new URL(targetUrl)
  url.hostname = '127.0.0.1'
  url.port = String(port)
  return { url: url.toString(), cut, restore: listen, close: cut }
}
