/**
 * Every Redis connection of the product is made here, so that all of them bound every command
 * (REDIS_COMMAND_TIMEOUT), speak the same protocol and never throw an unhandled 'error' event. A
 * Redis that accepts connections but never answers (a black-holed network path, a stopped
 * process) then costs a caller one timeout, after which it degrades (503, or retry later).
 */
import { Cluster, Redis } from 'ioredis'
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from '@latchkey/contracts'

/**
 * Where Redis is and how long a command may take: what the environment says, the same for every
 * connection of a service. One server by URL, the primary that Redis Sentinel names, or a Redis
 * Cluster; read by `connectRedis` (and `sameSlot`) alone, so that no caller changes with the mode.
 */
export interface RedisSettings {
  /** REDIS_URL: redis:// or rediss://, with user, password and database. Unused with `sentinel` or `cluster`. */
  url?: string | undefined
  /** REDIS_SENTINELS and its companions: the primary is whichever server the sentinels name. */
  sentinel?: RedisSentinelSettings | undefined
  /** REDIS_CLUSTER_NODES and the data nodes' credentials: every key goes to the primary of its hash slot. */
  cluster?: RedisClusterSettings | undefined
  /** REDIS_COMMAND_TIMEOUT: longest wait for one command, offline queueing and a retry after a reconnect included. */
  commandTimeoutMs?: number | undefined
}

export interface RedisSentinelSettings {
  /** REDIS_SENTINELS. */
  sentinels: Array<{ host: string, port: number }>
  /** REDIS_SENTINEL_NAME: the master name they monitor. */
  name: string
  /** REDIS_SENTINEL_PASSWORD: the sentinels' own. */
  sentinelPassword?: string | undefined
  /** REDIS_USERNAME and REDIS_PASSWORD: on the data nodes. */
  username?: string | undefined
  password?: string | undefined
}

export interface RedisClusterSettings {
  /** REDIS_CLUSTER_NODES: where to start; the rest of the cluster is learnt from them (CLUSTER SLOTS). */
  nodes: Array<{ host: string, port: number }>
  /** REDIS_USERNAME and REDIS_PASSWORD: on every node. */
  username?: string | undefined
  password?: string | undefined
}

/**
 * A connection made by `connectRedis`: one server's, or a cluster's that sends each command to the
 * primary of its keys' slot. Both take the same commands; a command, script, transaction or
 * pipeline naming several keys needs them in one slot in Cluster mode (see `sameSlot`).
 */
export type RedisClient = Redis | Cluster

/**
 * The part of a key name that keys living in one hash slot share (the keys of one script or
 * transaction): in Cluster mode a hash tag `{part}`, so only what is inside the braces picks the
 * slot; otherwise the part unchanged, so a single server or Sentinel deployment keeps the key
 * names it always had, and the data under them across an upgrade.
 */
export function sameSlot (settings: RedisSettings, part: string): string {
  return settings.cluster === undefined ? part : `{${part}}`
}

/** What one connection is for, where it differs from a request-path command connection. */
export interface RedisRole {
  /** CLIENT SETNAME, so that CLIENT LIST tells the connections apart. */
  name?: string
  /**
   * Extra time for a connection off the request path whose commands may legitimately take longer:
   * one blocking in XREADGROUP … BLOCK n (slack n), or bulk loads that a busy event loop reads late.
   */
  slackMs?: number
  /**
   * Whether a command sent while (re)connecting waits for the connection, inside the same bound
   * (default), so a blip is not an error; false fails it at once.
   */
  offlineQueue?: boolean
  /** Retries of a command cut by a reconnect (default 1); 0 for a connection that re-checks its own state. */
  retriesPerRequest?: number
  /** A subscriber that re-subscribes itself on every connect, to know when it is live (no automatic resubscribe). */
  subscriber?: boolean
  /** Connection errors (the command that failed also says so); default: ignored. */
  onError?: (error: Error) => void
}

/** The ioredis options of one connection: the one place where settings become client options. */
function clientOptions (settings: RedisSettings, role: RedisRole) {
  const timeoutMs = settings.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS
  return {
    connectTimeout: Math.max(timeoutMs, 1000),
    commandTimeout: timeoutMs + (role.slackMs ?? 0),
    maxRetriesPerRequest: role.retriesPerRequest ?? 1,
    enableOfflineQueue: role.offlineQueue ?? true,
    retryStrategy: (attempt: number) => Math.min(100 * attempt, 500),
    // RESP2 on every connection: replies keep the classic shapes the code reads (stream entries
    // as nested arrays), and a subscriber is in the plain pub/sub mode.
    protocol: 2 as const,
    ...(role.name === undefined ? {} : { connectionName: role.name }),
    ...(role.subscriber === true ? { autoResubscribe: false } : {})
  }
}

export function connectRedis (settings: RedisSettings, role: RedisRole = {}): RedisClient {
  const options = clientOptions(settings, role)
  const { sentinel, cluster } = settings
  let redis: RedisClient
  if (cluster !== undefined) {
    redis = role.subscriber === true ? connectClusterSubscriber(cluster, options) : connectCluster(cluster, options)
  } else if (sentinel !== undefined) {
    redis = new Redis({
      ...options,
      sentinels: sentinel.sentinels,
      name: sentinel.name,
      ...(sentinel.sentinelPassword === undefined ? {} : { sentinelPassword: sentinel.sentinelPassword }),
      ...(sentinel.username === undefined ? {} : { username: sentinel.username }),
      ...(sentinel.password === undefined ? {} : { password: sentinel.password }),
      // A sentinel that does not answer costs one command timeout, then the next one is asked.
      // Every (re)connect asks the sentinels for the primary and checks the server's role; a
      // connection still open to a primary the sentinels demote is killed by Sentinel itself
      // (CLIENT KILL as it reconfigures that server), so it reconnects to the new one.
      sentinelCommandTimeout: options.commandTimeout
    })
  } else if (settings.url !== undefined) {
    redis = new Redis(settings.url, options)
  } else {
    throw new TypeError('Redis settings need a URL, sentinels or cluster nodes')
  }
  const onError = role.onError ?? (() => {})
  redis.on('error', onError)
  restartUnlessClosed(redis)
  return redis
}

type ClientOptions = ReturnType<typeof clientOptions>

function credentials (cluster: RedisClusterSettings) {
  return {
    ...(cluster.username === undefined ? {} : { username: cluster.username }),
    ...(cluster.password === undefined ? {} : { password: cluster.password })
  }
}

/**
 * A cluster connection: one connection per node, each bounded like any other; the slot map comes
 * from the nodes and is refreshed on MOVED or a lost node. A command for a slot whose primary is
 * down fails (after the command timeout at most), which callers already treat as Redis away.
 */
function connectCluster (cluster: RedisClusterSettings, options: ClientOptions): Cluster {
  const { enableOfflineQueue, retryStrategy, ...nodeOptions } = options
  return new Cluster(cluster.nodes, {
    redisOptions: { ...nodeOptions, ...credentials(cluster) },
    enableOfflineQueue,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshTimeout: options.connectTimeout
  })
}

/**
 * A subscriber in Cluster mode: classic pub/sub is broadcast to every node of a cluster, so one
 * plain connection to any node hears every channel. Unlike ioredis' own cluster subscriber, its
 * 'ready' and 'close' events and PING are the subscribed connection's, which is what tells a
 * subscriber whether it is live. Each reconnect tries the next of the configured nodes, so a
 * node that stays down costs one attempt.
 */
function connectClusterSubscriber (cluster: RedisClusterSettings, options: ClientOptions): Redis {
  let next = 0
  const redis: Redis = new Redis({
    ...options,
    ...credentials(cluster),
    ...cluster.nodes[0],
    retryStrategy: (attempt: number) => {
      next = (next + 1) % cluster.nodes.length
      // The connector reads host and port from these options on every connect.
      Object.assign(redis.options, cluster.nodes[next])
      return options.retryStrategy(attempt)
    }
  })
  return redis
}

/** How long a connection that ioredis ended on its own waits before it starts again. */
const RESTART_AFTER_END_MS = 100

/**
 * ioredis ends a connection for good (status 'end', no more retries, every later command
 * "Connection is closed") when a late failure of one connection attempt, such as its ready check
 * timing out, lands while the next attempt is still asking the sentinels where the primary is: seen
 * under load during failovers. Only a close this process asked for (disconnect, quit) may end a
 * connection; any other end starts it again.
 */
function restartUnlessClosed (redis: RedisClient): void {
  let closing = false
  const disconnect = redis.disconnect.bind(redis)
  redis.disconnect = (reconnect = false) => {
    if (!reconnect) closing = true
    disconnect(reconnect)
  }
  const quit = redis.quit.bind(redis)
  redis.quit = async (...args: Parameters<typeof quit>) => {
    closing = true
    return await quit(...args)
  }
  redis.on('end', () => {
    if (closing) return
    setTimeout(() => {
      if (!closing && redis.status === 'end') redis.connect().catch(() => { /* the next 'end' tries again */ })
    }, RESTART_AFTER_END_MS).unref()
  })
}

/**
 * Closes a connection without letting shutdown hang: QUIT when it is connected and the server
 * answers, then in every case a hard disconnect, which also ends any reconnect loop. Returns once
 * the connection ended, or after `timeoutMs` whatever the server does.
 */
export async function closeRedis (redis: RedisClient, timeoutMs = 1000): Promise<void> {
  if (redis.status === 'end') return
  // Between reconnects there is no socket, and ioredis emits no 'end' for one it never reopens.
  const hasSocket = ['connecting', 'connect', 'ready'].includes(redis.status)
  const ended = new Promise<void>(resolve => { redis.once('end', () => { resolve() }) })
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>(resolve => { timer = setTimeout(resolve, timeoutMs) })
  try {
    if (redis.status === 'ready') await Promise.race([redis.quit().then(() => {}, () => {}), deadline])
    redis.disconnect()
    if (hasSocket) await Promise.race([ended, deadline])
  } finally {
    clearTimeout(timer)
  }
}
