/**
 * Where Redis is, in both services' environment schemas: one server by REDIS_URL, a primary that
 * Redis Sentinel names (REDIS_SENTINELS and REDIS_SENTINEL_NAME), which a failover moves, or a
 * Redis Cluster (REDIS_CLUSTER_NODES), which spreads keys over its primaries by hash slot. In
 * Sentinel and Cluster mode the data nodes' credentials come from REDIS_USERNAME and
 * REDIS_PASSWORD, since there is no URL to carry them; with REDIS_URL they stay in the URL.
 */
import { Type } from '@sinclair/typebox'

/** One host:port of REDIS_SENTINELS or REDIS_CLUSTER_NODES; an IPv6 host in brackets. */
const ADDRESS = '(\\[[0-9A-Fa-f:.]+\\]|[^\\s,:\\[\\]]+):[0-9]{1,5}'
const ADDRESS_LIST = `^\\s*${ADDRESS}(\\s*,\\s*${ADDRESS})*\\s*$`

export const RedisDeploymentEnv = {
  REDIS_SENTINELS: Type.Optional(Type.String({
    pattern: ADDRESS_LIST,
    description: 'Comma-separated host:port of Redis Sentinels; with REDIS_SENTINEL_NAME, instead of REDIS_URL: connect to the primary they name and follow it through failovers'
  })),
  REDIS_SENTINEL_NAME: Type.Optional(Type.String({ minLength: 1, description: 'Master name the sentinels monitor (sentinel monitor <name> …)' })),
  // Secrets: also as <NAME>_FILE, never shown in an error.
  REDIS_SENTINEL_PASSWORD: Type.Optional(Type.String({ secret: true, description: 'Password of the sentinels themselves (their requirepass); unset = none' })),
  REDIS_CLUSTER_NODES: Type.Optional(Type.String({
    pattern: ADDRESS_LIST,
    description: 'Comma-separated host:port of Redis Cluster nodes, instead of REDIS_URL: Cluster mode (the other nodes are discovered from these)'
  })),
  REDIS_USERNAME: Type.Optional(Type.String({ description: 'Sentinel or Cluster mode: ACL user on the data nodes; unset = default' })),
  REDIS_PASSWORD: Type.Optional(Type.String({ secret: true, description: 'Sentinel or Cluster mode: password on the data nodes (requirepass or the ACL user\'s); unset = none' }))
}

interface RedisDeploymentValues {
  REDIS_URL?: string | undefined
  REDIS_SENTINELS?: string | undefined
  REDIS_SENTINEL_NAME?: string | undefined
  REDIS_SENTINEL_PASSWORD?: string | undefined
  REDIS_CLUSTER_NODES?: string | undefined
  REDIS_USERNAME?: string | undefined
  REDIS_PASSWORD?: string | undefined
}

/** What is wrong with the combination (each variable alone is checked by the schema). */
export function redisDeploymentProblems (config: RedisDeploymentValues): string[] {
  const problems: string[] = []
  const sentinel = config.REDIS_SENTINELS !== undefined
  const cluster = config.REDIS_CLUSTER_NODES !== undefined
  if (sentinel && config.REDIS_URL !== undefined) problems.push('REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both')
  if (cluster && config.REDIS_URL !== undefined) problems.push('REDIS_CLUSTER_NODES: set either REDIS_URL or REDIS_CLUSTER_NODES, not both')
  if (cluster && sentinel) problems.push('REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both')
  if (sentinel !== (config.REDIS_SENTINEL_NAME !== undefined)) {
    problems.push(sentinel ? 'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS' : 'REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS')
  }
  if (!sentinel && config.REDIS_SENTINEL_PASSWORD !== undefined) problems.push('REDIS_SENTINEL_PASSWORD: only meaningful with REDIS_SENTINELS')
  if (!sentinel && !cluster) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD'] as const) {
      if (config[name] !== undefined) problems.push(`${name}: only meaningful with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own credentials)`)
    }
  }
  return problems
}

/** host:port items of REDIS_SENTINELS or REDIS_CLUSTER_NODES (already validated by the schema). */
export function redisAddresses (value: string): Array<{ host: string, port: number }> {
  return value.split(',').map(item => item.trim()).filter(item => item !== '').map(item => {
    const colon = item.lastIndexOf(':')
    return { host: item.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(item.slice(colon + 1)) }
  })
}
