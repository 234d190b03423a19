/**
 * RedisSettings from a service's environment (the variables of @latchkey/contracts'
 * RedisDeploymentEnv, already validated together by redisDeploymentProblems): one server by URL,
 * a primary named by Sentinel, or a Redis Cluster. Undefined when none is set: the caller runs in
 * process.
 */
import { redisAddresses } from '@latchkey/contracts'
import type { RedisSettings } from './connect.js'

export interface RedisEnv {
  REDIS_URL?: string | undefined
  REDIS_SENTINELS?: string | undefined
  REDIS_SENTINEL_NAME?: string | undefined
  REDIS_SENTINEL_PASSWORD?: string | undefined
  REDIS_CLUSTER_NODES?: string | undefined
  REDIS_USERNAME?: string | undefined
  REDIS_PASSWORD?: string | undefined
  REDIS_COMMAND_TIMEOUT: number
}

export function redisSettingsOf (env: RedisEnv): RedisSettings | undefined {
  const commandTimeoutMs = env.REDIS_COMMAND_TIMEOUT
  if (env.REDIS_CLUSTER_NODES !== undefined) {
    return {
      cluster: { nodes: redisAddresses(env.REDIS_CLUSTER_NODES), username: env.REDIS_USERNAME, password: env.REDIS_PASSWORD },
      commandTimeoutMs
    }
  }
  if (env.REDIS_SENTINELS !== undefined && env.REDIS_SENTINEL_NAME !== undefined) {
    return {
      sentinel: {
        sentinels: redisAddresses(env.REDIS_SENTINELS),
        name: env.REDIS_SENTINEL_NAME,
        sentinelPassword: env.REDIS_SENTINEL_PASSWORD,
        username: env.REDIS_USERNAME,
        password: env.REDIS_PASSWORD
      },
      commandTimeoutMs
    }
  }
  return env.REDIS_URL === undefined ? undefined : { url: env.REDIS_URL, commandTimeoutMs }
}
