/**
 * A Redis Sentinel deployment of real processes on free local ports, owned by one test: a
 * primary, one replica and three sentinels (quorum 2) that declare a silent primary down after
 * one second, so a failover completes within a few seconds. Nothing is persisted; everything
 * lives in a temporary directory removed by `stop()`. Redis-cli is the probe: this package does
 * not connect to Redis itself.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@latchkey/postgres-kit'
import { redisCli as cli, redisProcesses } from './redis-processes.js'

export interface RedisSentinelOptions {
  /** requirepass (and masterauth) of the data nodes; sentinels use it to reach them. */
  password?: string
  /** requirepass of the sentinels themselves. */
  sentinelPassword?: string
  /** Default 1000: how long a primary may be silent before a sentinel thinks it down. */
  downAfterMs?: number
}

export interface RedisSentinelGroup {
  /** The master name the sentinels monitor (REDIS_SENTINEL_NAME). */
  name: string
  /** host:port of every sentinel, comma-separated (REDIS_SENTINELS). */
  sentinels: string
  /** The port the sentinels currently name as primary. */
  primaryPort (): Promise<number>
  /** SIGKILLs the process serving as primary now; returns its port. */
  killPrimary (): Promise<number>
  /** Resolves with the new primary's port once the sentinels name one other than `oldPort` and it answers as a master. */
  whenPromoted (oldPort: number, timeoutMs?: number): Promise<number>
  /** Kills every process and removes the directory. */
  stop (): Promise<void>
}

export async function startRedisSentinelGroup (options: RedisSentinelOptions = {}): Promise<RedisSentinelGroup> {
  const name = 'latchkey-test'
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-sentinel-'))
  const { password, sentinelPassword } = options
  const downAfterMs = options.downAfterMs ?? 1000
  const processes = redisProcesses('redis sentinel group', dir)
  const { stop, until } = processes

  try {
    const dataNode = (port: number, replicaOf?: number): void => {
      // No diskless-sync delay: the replica syncs at once instead of waiting 5 s for others.
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--repl-diskless-sync-delay', '0',
        '--dbfilename', `dump-${port}.rdb`]
      if (password !== undefined) args.push('--requirepass', password, '--masterauth', password)
      if (replicaOf !== undefined) args.push('--replicaof', '127.0.0.1', String(replicaOf))
      processes.start(port, args)
    }
    const primary = await freePort()
    const replica = await freePort()
    dataNode(primary)
    dataNode(replica, primary)
    await until('the replica in sync', 10_000, async () =>
      (await cli(replica, password, 'INFO', 'replication')).includes('master_link_status:up') ? true : undefined)

    const sentinelPorts = [await freePort(), await freePort(), await freePort()]
    const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'))
    for (const [i, port] of sentinelPorts.entries()) {
      const file = join(dir, `sentinel-${port}.conf`)
      // Sentinel rewrites its file as it learns the topology: one writable file each.
      await writeFile(file, [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        ...(sentinelPassword === undefined ? [] : [`requirepass ${sentinelPassword}`]),
        `sentinel monitor ${name} 127.0.0.1 ${primary} 2`,
        ...(password === undefined ? [] : [`sentinel auth-pass ${name} ${password}`]),
        ...(sentinelPassword === undefined ? [] : [`sentinel sentinel-pass ${sentinelPassword}`]),
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} ${Math.max(3000, downAfterMs * 3)}`,
        `sentinel parallel-syncs ${name} 1`,
        // What sentinels would otherwise discover by themselves in 2 to 10 s (hello messages, INFO
        // of the primary), written the way Sentinel writes its own state: the group starts ready.
        `sentinel myid ${ids[i] ?? ''}`,
        `sentinel known-replica ${name} 127.0.0.1 ${replica}`,
        ...sentinelPorts.flatMap((peer, j) => j === i ? [] : [`sentinel known-sentinel ${name} 127.0.0.1 ${peer} ${ids[j] ?? ''}`]),
        ''
      ].join('\n'))
      processes.start(port, [file, '--sentinel'])
    }
    // A failover needs each sentinel to know the replica and the other two.
    for (const port of sentinelPorts) {
      await until('every sentinel knowing the replica and its peers', 15_000, async () => {
        const info = await cli(port, sentinelPassword, 'SENTINEL', 'MASTER', name)
        // redis-cli prints the reply's field names and values on alternate lines.
        const lines = info.split('\n')
        const field = (key: string): number => Number(lines[lines.indexOf(key) + 1])
        return field('num-slaves') >= 1 && field('num-other-sentinels') >= 2 ? true : undefined
      })
    }

    const primaryPort = async (): Promise<number> => {
      for (const port of sentinelPorts) {
        const reply = await cli(port, sentinelPassword, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name).catch(() => '')
        const announced = Number(reply.split('\n')[1])
        if (Number.isInteger(announced) && announced > 0) return announced
      }
      throw new Error('no sentinel names a primary')
    }

    return {
      name,
      sentinels: sentinelPorts.map(port => `127.0.0.1:${port}`).join(','),
      primaryPort,
      async killPrimary () {
        const port = await primaryPort()
        await processes.kill(port)
        return port
      },
      async whenPromoted (oldPort, timeoutMs = 20_000) {
        return await until('a new primary', timeoutMs, async () => {
          const port = await primaryPort()
          if (port === oldPort) return undefined
          return (await cli(port, password, 'ROLE')).startsWith('master') ? port : undefined
        })
      },
      stop
    }
  } catch (error) {
    await stop()
    throw error
  }
}
