/**
 * A Redis Cluster of real processes on free local ports, owned by one test: three primaries, no
 * replicas, made a cluster by `redis-cli --cluster create`. Each node keeps an append-only file
 * synced on every write (the durable setting a cluster without replicas needs), so a primary
 * killed and started again comes back with its data, its node id and its slots (nodes.conf). With
 * `cluster-require-full-coverage no` the other primaries keep serving their slots meanwhile.
 * Everything lives in a temporary directory removed by `stop()`.
 */
import { mkdir, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@latchkey/postgres-kit'
import { loginArgs, redisCli, redisCliTimed, redisProcesses, type RedisLauncher } from './redis-processes.js'

export interface RedisClusterOptions {
  /** requirepass (and masterauth) of every node. */
  password?: string
  /**
   * Instead of `password`: each node started by this launcher (given the node's directory), which
   * brings its own ACL, and this ACL user of it doing what the helper does (creating the cluster,
   * probes, MIGRATE).
   */
  acl?: { launcher: (nodeDir: string) => RedisLauncher, admin: { username: string, password: string } }
}

export interface RedisCluster {
  /** host:port of every node, comma-separated (REDIS_CLUSTER_NODES). */
  nodes: string
  ports: number[]
  /** The port of the primary serving `key`'s hash slot now. */
  primaryOf (key: string): Promise<number>
  /** SIGKILLs the node on `port`, waits `downMs`, starts it again and waits until it serves its slots. */
  restart (port: number, downMs?: number): Promise<void>
  /** Moves `key`'s hash slot, with its keys, from the primary serving it to the one on `toPort`. */
  migrateSlotOf (key: string, toPort: number): Promise<void>
  /** Kills every process and removes the directory. */
  stop (): Promise<void>
}

interface ClusterNode { id: string, port: number, self: boolean, primary: boolean, slots: Array<[number, number]> }

/** CLUSTER NODES: per line id, host:port@bus, flags, master, ping, pong, epoch, link, slot ranges. */
function parseNodes (reply: string): ClusterNode[] {
  return reply.trim().split('\n').map(line => {
    const [id = '', address = '', flags = '', , , , , , ...ranges] = line.split(' ')
    const slots = ranges.filter(range => !range.startsWith('[')).map(range => {
      const [from = '', to = from] = range.split('-')
      return [Number(from), Number(to)] as [number, number]
    })
    return { id, port: Number(address.split('@')[0]?.split(':')[1]), self: flags.includes('myself'), primary: flags.includes('master'), slots }
  })
}

export async function startRedisCluster (options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const { password, acl } = options
  const login = acl?.admin ?? password
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-cluster-'))
  const processes = redisProcesses('redis cluster', dir)
  const ports = [await freePort(), await freePort(), await freePort()]
  // Each node's cluster bus is a free port of its own too. Left to Redis it is port + 10000, which
  // nobody checked and which can fall in the ephemeral range, where any outgoing connection may
  // hold it: the node then exits at start (seen in CI).
  const busPorts = new Map<number, number>()
  for (const port of ports) busPorts.set(port, await freePort())
  const nodeArgs = (port: number): string[] => [
    '--port', String(port), '--cluster-port', String(busPorts.get(port)), '--bind', '127.0.0.1', '--dir', join(dir, String(port)),
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000',
    '--cluster-require-full-coverage', 'no',
    '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
    ...(password === undefined ? [] : ['--requirepass', password, '--masterauth', password])
  ]
  const cli = async (port: number, ...args: string[]): Promise<string> => await redisCli(port, login, ...args)
  const startNode = (port: number): void => { processes.start(port, nodeArgs(port), acl?.launcher(join(dir, String(port)))) }
  const clusterOk = async (port: number): Promise<true | undefined> =>
    (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok') ? true : undefined
  const slotOf = async (key: string): Promise<number> => Number(await cli(ports[0] ?? 0, 'CLUSTER', 'KEYSLOT', key))
  const nodesSeenBy = async (port: number): Promise<ClusterNode[]> => parseNodes(await cli(port, 'CLUSTER', 'NODES'))
  const primaryOf = async (key: string): Promise<number> => {
    const slot = await slotOf(key)
    for (const port of ports) {
      const nodes = await nodesSeenBy(port).catch(() => [])
      const owner = nodes.find(node => node.primary && node.slots.some(([from, to]) => from <= slot && slot <= to))
      if (owner !== undefined) return owner.port
    }
    throw new Error(`no primary serves the slot of ${key}`)
  }
  try {
    for (const port of ports) {
      await mkdir(join(dir, String(port)))
      startNode(port)
    }
    for (const port of ports) await processes.until('every node answering', 10_000, async () => await cli(port, 'PING') === 'PONG\n' ? true : undefined)
    await redisCliTimed(20_000, [...loginArgs(login), '--cluster', 'create', ...ports.map(port => `127.0.0.1:${port}`), '--cluster-yes'])
    for (const port of ports) await processes.until('the cluster state ok on every node', 15_000, async () => await clusterOk(port))

    return {
      nodes: ports.map(port => `127.0.0.1:${port}`).join(','),
      ports,
      primaryOf,
      async restart (port, downMs = 500) {
        await processes.kill(port)
        await new Promise(resolve => setTimeout(resolve, downMs))
        startNode(port)
        await processes.until('the restarted node serving its slots', 15_000, async () => await clusterOk(port))
      },
      async migrateSlotOf (key, toPort) {
        const slot = String(await slotOf(key))
        const fromPort = await primaryOf(key)
        if (fromPort === toPort) return
        const idOf = async (port: number): Promise<string> => (await nodesSeenBy(port)).find(node => node.self)?.id ?? ''
        const [fromId, toId] = [await idOf(fromPort), await idOf(toPort)]
        // The documented sequence: importing on the target, migrating on the source, the keys
        // moved in batches (clients meanwhile get ASK for the keys already moved), then the slot
        // assigned to the target everywhere.
        await cli(toPort, 'CLUSTER', 'SETSLOT', slot, 'IMPORTING', fromId)
        await cli(fromPort, 'CLUSTER', 'SETSLOT', slot, 'MIGRATING', toId)
        for (;;) {
          const keys = (await cli(fromPort, 'CLUSTER', 'GETKEYSINSLOT', slot, '100')).split('\n').filter(line => line !== '')
          if (keys.length === 0) break
          const migrateAuth = acl !== undefined ? ['AUTH2', acl.admin.username, acl.admin.password] : password === undefined ? [] : ['AUTH', password]
          const reply = await cli(fromPort, 'MIGRATE', '127.0.0.1', String(toPort), '', '0', '5000', ...migrateAuth, 'KEYS', ...keys)
          if (!reply.startsWith('OK') && !reply.startsWith('NOKEY')) throw new Error(`MIGRATE: ${reply.trim()}`)
        }
        for (const port of [toPort, fromPort, ...ports.filter(port => port !== toPort && port !== fromPort)]) {
          await cli(port, 'CLUSTER', 'SETSLOT', slot, 'NODE', toId)
        }
      },
      stop: processes.stop
    }
  } catch (error) {
    await processes.stop()
    throw error
  }
}
