/**
 * docker-compose.yml's ha profile, with real processes and no Docker: the primary and the replica
 * started by deploy/redis/start-redis.sh with the committed ACL template and the environment and
 * command compose gives them (docker-compose.ha.yml applied), three sentinels started by
 * deploy/redis/start-sentinel.sh with their compose environment, and both services' Redis
 * settings read from the override. Only host names and ports become local ones, plus
 * `--repl-diskless-sync-delay 0` so the replica syncs at once instead of after 5 s.
 * What must hold: the replica syncs as latchkey-replica, the sentinels watch both nodes as
 * latchkey-sentinel, a SIGKILLed primary is replaced by the replica, the services' users keep
 * working through the sentinels, and neither of the two new users can read or write a key.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { redisDeploymentProblems } from '@latchkey/contracts'
import { closeRedis, connectRedis, redisSettingsOf, type RedisClient } from '@latchkey/redis-kit'
import { interpolate, readComposeFile, withOverride, type ComposeService } from './compose-files.js'
import { until } from './helper.js'
import { freePort, redisServerAnswers, repositoryRoot, runScript } from './processes.js'

const base = (await readComposeFile('docker-compose.yml')).file
const services = withOverride(base, (await readComposeFile('docker-compose.ha.yml')).file)
const service = (name: string): ComposeService => {
  const found = services[name]
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`)
  return found
}
const sentinelNames = ['sentinel-1', 'sentinel-2', 'sentinel-3']

/** The passwords compose would interpolate, fresh for this run (letters and digits, as the scripts require). */
const secrets: Record<string, string> = Object.fromEntries(['LATCHKEY_AUTH_REDIS_PASSWORD', 'LATCHKEY_USERS_REDIS_PASSWORD',
  'LATCHKEY_REPLICA_REDIS_PASSWORD', 'LATCHKEY_SENTINEL_REDIS_PASSWORD', 'LATCHKEY_SENTINEL_PASSWORD']
  .map(name => [name, randomBytes(16).toString('hex')]))
const secret = (name: string): string => secrets[name] ?? ''

/** A service's compose environment (the variables starting with `prefix`) with the passwords filled in, as compose hands it over. */
const environmentOf = (name: string, prefix = ''): Record<string, string> =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).filter(([key]) => key.startsWith(prefix)).map(([key, value]) => [key, interpolate(value, secrets)]))

/** Starts one of the deploy/redis scripts; killed (SIGKILL) in teardown, or earlier by `kill`. */
async function startScript (t: Test, script: string, env: Record<string, string>, args: string[], port: number, password?: string): Promise<{ kill: () => Promise<void> }> {
  const child = spawn(join(repositoryRoot, 'deploy/redis', script), args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise(resolve => { child.once('exit', resolve) })
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  }
  t.teardown(kill)
  if (!await redisServerAnswers(child, port, password)) throw new Error(`${script} on port ${port} did not start:\n${output}`)
  return { kill }
}

/** A compose command with the compose host names (and their port 6379) turned into local addresses. */
function localCommand (command: string[], ports: Record<string, number>): string[] {
  return command.map((arg, i) => {
    if (arg in ports) return '127.0.0.1'
    const host = command[i - 1] ?? ''
    return arg === '6379' && host in ports ? String(ports[host]) : arg
  })
}

/** A RESP2 field list (`SENTINEL MASTER` and the like) as an object. */
function fields (reply: unknown): Record<string, string> {
  const list = reply as string[]
  return Object.fromEntries(list.flatMap((value, i) => i % 2 === 0 ? [[value, list[i + 1] ?? '']] : []))
}

t.test('docker-compose.yml --profile ha with docker-compose.ha.yml › a replica and three sentinels on the committed ACL users; a failover keeps both services\' users working (ASVS 13.2.2)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-ha-profile-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const primaryPort = await freePort()
  const replicaPort = await freePort()
  const hosts = { redis: primaryPort, 'redis-replica': replicaPort }
  // Only on loopback, unless this machine has another address: then the primary listens there too,
  // to show that a client from elsewhere (another container) is let in.
  const outside = Object.values(networkInterfaces()).flat().find(address => address?.family === 'IPv4' && !address.internal)?.address

  const dataNode = async (name: 'redis' | 'redis-replica', port: number, bind: string[]): Promise<{ kill: () => Promise<void> }> => {
    const nodeDir = join(dir, name)
    await mkdir(nodeDir)
    const args = [...localCommand(service(name).command ?? [], hosts), '--port', String(port), '--bind', ...bind, '--dir', nodeDir, '--repl-diskless-sync-delay', '0']
    const node = await startScript(t, 'start-redis.sh', { ...environmentOf(name), LATCHKEY_REDIS_ACL_FILE: join(nodeDir, 'latchkey.acl') }, args, port)
    t.equal((await stat(join(nodeDir, 'latchkey-redis.conf'))).mode & 0o777, 0o600, `${name}: the config file with masterauth is its owner's only`)
    return node
  }
  t.same(Object.keys(environmentOf('redis')).sort(), Object.keys(environmentOf('redis-replica')).sort(), 'both data nodes get the same four passwords')
  const primary = await dataNode('redis', primaryPort, outside === undefined ? ['127.0.0.1'] : ['127.0.0.1', outside])

  /**
   * One connection per user and node (`default`: no login). Never reconnected: one closed (the node
   * killed, or Sentinel's CLIENT KILL as it reconfigures a node) is replaced at the next call.
   */
  const clients = new Map<string, Redis>()
  const as = (user: string, password: string, port: number): Redis => {
    const known = clients.get(`${user}@${port}`)
    if (known !== undefined) return known
    const login = user === 'default' ? (password === '' ? {} : { password }) : { username: user, password }
    const redis = new Redis({ host: '127.0.0.1', port, ...login, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
    redis.on('error', () => {})
    redis.once('end', () => { clients.delete(`${user}@${port}`) })
    clients.set(`${user}@${port}`, redis)
    return redis
  }
  t.teardown(() => { for (const client of clients.values()) client.disconnect() })
  const replicaUser = (port: number): Redis => as('latchkey-replica', secret('LATCHKEY_REPLICA_REDIS_PASSWORD'), port)
  const sentinelUser = (port: number): Redis => as('latchkey-sentinel', secret('LATCHKEY_SENTINEL_REDIS_PASSWORD'), port)

  if (outside !== undefined) {
    await t.test('the primary lets in a client from another address (protected mode off; the default user still only PINGs)', async t => {
      const redis = new Redis({ host: outside, port: primaryPort, enableReadyCheck: false, maxRetriesPerRequest: 0 })
      t.teardown(() => { redis.disconnect() })
      t.equal(await redis.ping(), 'PONG')
      await t.rejects(redis.get('latchkey:revoked:seeded'), /NOPERM/)
    })
  }

  await dataNode('redis-replica', replicaPort, ['127.0.0.1'])

  await t.test('the replica syncs as latchkey-replica, the one user allowed to replicate', async t => {
    t.ok(await until(async () => (await sentinelUser(replicaPort).info('replication')).includes('master_link_status:up'), 5000) < 5000, 'the replica\'s link to the primary is up')
    // The replica's link is up once it loaded the snapshot; the primary lists it online only a
    // moment later (CI once saw state=wait_bgsave there right after the link came up).
    const online = new RegExp(`slave0:ip=127\\.0\\.0\\.1,port=${replicaPort},state=online`)
    t.ok(await until(async () => online.test(await sentinelUser(primaryPort).info('replication')), 5000) < 5000, 'the primary sees the replica online')
    t.equal(await replicaUser(primaryPort).call('REPLCONF', 'listening-port', '1'), 'OK', 'latchkey-replica may speak the replication protocol')
    const others = [
      as('default', '', primaryPort),
      as('latchkey-auth', secret('LATCHKEY_AUTH_REDIS_PASSWORD'), primaryPort),
      as('latchkey-users', secret('LATCHKEY_USERS_REDIS_PASSWORD'), primaryPort),
      sentinelUser(primaryPort)
    ]
    for (const redis of others) {
      await t.rejects(redis.call('PSYNC', '?', '-1'), /NOPERM/, 'no other user may take a copy of the data')
      await t.rejects(redis.call('REPLCONF', 'listening-port', '1'), /NOPERM/)
    }
  })

  const sentinelPorts = [await freePort(), await freePort(), await freePort()]
  for (const [i, name] of sentinelNames.entries()) {
    const port = sentinelPorts[i] ?? 0
    const sentinelDir = join(dir, name)
    await mkdir(sentinelDir)
    const env = {
      ...environmentOf(name),
      // Compose leaves these to the script's defaults, redis:6379 and /tmp.
      LATCHKEY_SENTINEL_PRIMARY_HOST: '127.0.0.1',
      LATCHKEY_SENTINEL_PRIMARY_PORT: String(primaryPort),
      LATCHKEY_SENTINEL_ANNOUNCE_HOST: '127.0.0.1',
      LATCHKEY_SENTINEL_CONF_FILE: join(sentinelDir, 'sentinel.conf')
    }
    await startScript(t, 'start-sentinel.sh', env, ['--port', String(port), '--bind', '127.0.0.1'], port, secret('LATCHKEY_SENTINEL_PASSWORD'))
    t.equal((await stat(env.LATCHKEY_SENTINEL_CONF_FILE)).mode & 0o777, 0o600, `${name}: its config file with the passwords is its owner's only`)
  }
  const sentinels = sentinelPorts.map(port => as('default', secret('LATCHKEY_SENTINEL_PASSWORD'), port))
  const masterName = environmentOf('auth', 'REDIS_').REDIS_SENTINEL_NAME ?? ''

  await t.test('the sentinels see the primary and the replica as latchkey-sentinel, and each other', async t => {
    for (const [i, sentinel] of sentinels.entries()) {
      const seen = await until(async () => {
        const master = fields(await sentinel.call('SENTINEL', 'MASTER', masterName))
        return master.flags === 'master' && master['num-slaves'] === '1' && master['num-other-sentinels'] === '2'
      }, 15_000)
      t.ok(seen < 15_000, `${sentinelNames[i] ?? ''}: the primary is up, with one replica and two other sentinels`)
      const [replica] = (await sentinel.call('SENTINEL', 'REPLICAS', masterName) as unknown[]).map(fields)
      t.equal(replica?.port, String(replicaPort))
      t.equal(replica?.flags, 'slave', 'the replica answers the sentinel (not s_down, not disconnected)')
      t.equal(replica?.['master-link-status'], 'ok')
    }
    // What the sentinels just read (INFO, ROLE) the default user may not: they logged in as latchkey-sentinel.
    const anonymous = as('default', '', primaryPort)
    await t.rejects(anonymous.info('replication'), /NOPERM/)
    await t.rejects(anonymous.call('ROLE'), /NOPERM/)
    t.equal(await sentinelUser(primaryPort).call('ROLE').then(role => (role as string[])[0]), 'master')
  })

  /** A service's Redis connection from its docker-compose.ha.yml environment, the sentinels' addresses made local. */
  const serviceClient = (name: 'auth' | 'users'): RedisClient => {
    const env = environmentOf(name, 'REDIS_')
    t.equal(env.REDIS_URL, undefined, `${name}: REDIS_URL is reset`)
    const localAddress = (address: string): string => `127.0.0.1:${sentinelPorts[sentinelNames.indexOf(address.replace(/:26379$/, ''))] ?? 0}`
    const local = { ...env, REDIS_SENTINELS: (env.REDIS_SENTINELS ?? '').split(',').map(localAddress).join(',') }
    t.same(redisDeploymentProblems(local), [], `${name}: the services accept this combination`)
    const settings = redisSettingsOf({ ...local, REDIS_COMMAND_TIMEOUT: 1000 })
    if (settings === undefined) throw new Error(`${name}: no Redis settings`)
    const client = connectRedis(settings, { name: `ha-profile-${name}` })
    t.teardown(async () => { await closeRedis(client) })
    return client
  }
  const authRedis = serviceClient('auth')
  const usersRedis = serviceClient('users')
  const key = `latchkey:revoked:ha-profile-${randomBytes(4).toString('hex')}`
  const replicaReader = as('latchkey-users', secret('LATCHKEY_USERS_REDIS_PASSWORD'), replicaPort)

  await t.test('both services reach the primary through the sentinels as their own users', async t => {
    t.equal(await authRedis.set(key, 'before'), 'OK')
    t.equal(await usersRedis.get(key), 'before')
    t.match(await authRedis.info('server'), new RegExp(`tcp_port:${primaryPort}\\r?\\n`), 'on the primary')
    t.ok(await until(async () => await replicaReader.get(key) === 'before', 3000) < 3000, 'the write reached the replica')
  })

  /** What neither of the two new users may do, on whichever node serves now. */
  const refusedTo = async (t: Test, redis: Redis): Promise<void> => {
    for (const attempt of [
      redis.get(key),
      redis.set(key, 'forged'),
      redis.del(key),
      redis.keys('*'),
      redis.xadd('latchkey:account-events', '*', 'event', '{}'),
      redis.publish('latchkey:revocations', '{}'),
      redis.flushall(),
      redis.config('GET', 'dir'),
      redis.call('ACL', 'LIST'),
      redis.eval("return redis.call('GET', KEYS[1])", 1, key)
    ]) await t.rejects(attempt, /NOPERM/)
  }

  await t.test('latchkey-replica and latchkey-sentinel cannot read or write a key on the primary', async t => {
    await refusedTo(t, replicaUser(primaryPort))
    await refusedTo(t, sentinelUser(primaryPort))
  })

  await t.test('SIGKILL the primary: the sentinels promote the replica, and both services carry on through them', async t => {
    await primary.kill()
    const promoted = await until(async () => {
      const answer = await sentinels[0]?.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName) as string[]
      if (answer[1] !== String(replicaPort)) return false
      // Sentinel closes the connections of a node it reconfigures: the next attempt opens a new one.
      const role = await sentinelUser(replicaPort).call('ROLE').catch(() => undefined) as string[] | undefined
      return role?.[0] === 'master'
    }, 30_000)
    t.ok(promoted < 30_000, 'the replica is the primary the sentinels name, and knows it')
    t.comment(`promoted ${(promoted / 1000).toFixed(1)} s after the SIGKILL (start-sentinel.sh's down-after-milliseconds, as compose runs it)`)

    let written = false
    const served = await until(async () => {
      written ||= await authRedis.set(`${key}:after`, 'after').then(() => true, () => false)
      return written
    }, 10_000)
    t.ok(served < 10_000, `latchkey-auth writes again ${(served / 1000).toFixed(1)} s after the promotion`)
    t.match(await authRedis.info('server'), new RegExp(`tcp_port:${replicaPort}\\r?\\n`), 'on the former replica')
    t.equal(await usersRedis.get(key), 'before', 'what was written before the failover is there')
    t.equal(await usersRedis.get(`${key}:after`), 'after', 'latchkey-users reads what latchkey-auth wrote after it')
    await t.rejects(usersRedis.set(key, 'forged'), /NOPERM/, 'and each user keeps its own limits on the new primary')
    await refusedTo(t, replicaUser(replicaPort))
    await refusedTo(t, sentinelUser(replicaPort))
  })
})

t.test('the scripts refuse a password that would not stay one word in the config files they write', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-ha-profile-'))
  t.teardown(async () => { await rm(dir, { recursive: true, force: true }) })
  const run = async (script: string, env: Record<string, string>): Promise<{ code: number | null, output: string }> =>
    await runScript(join(repositoryRoot, 'deploy/redis', script), env)
  const quoted = 'two words"\nrequirepass x'
  const redis = await run('start-redis.sh', { LATCHKEY_AUTH_REDIS_PASSWORD: 'a', LATCHKEY_USERS_REDIS_PASSWORD: 'u', LATCHKEY_REPLICA_REDIS_PASSWORD: quoted, LATCHKEY_REDIS_ACL_FILE: join(dir, 'latchkey.acl') })
  t.equal(redis.code, 1)
  t.match(redis.output, /LATCHKEY_REPLICA_REDIS_PASSWORD: letters, digits/)
  t.notMatch(redis.output, /two words/, 'without echoing the password')
  for (const name of ['LATCHKEY_SENTINEL_PASSWORD', 'LATCHKEY_SENTINEL_REDIS_PASSWORD']) {
    const sentinel = await run('start-sentinel.sh', { LATCHKEY_SENTINEL_PASSWORD: 's', LATCHKEY_SENTINEL_REDIS_PASSWORD: 'r', LATCHKEY_SENTINEL_ANNOUNCE_HOST: 'x', [name]: quoted, LATCHKEY_SENTINEL_CONF_FILE: join(dir, 'sentinel.conf') })
    t.equal(sentinel.code, 1, name)
    t.match(sentinel.output, /sentinel passwords: letters, digits/)
  }
})
