import t from 'tap'
import { Type } from '@sinclair/typebox'
import { ConfigError, parseEnv, RedisDeploymentEnv, redisDeploymentProblems, redisAddresses } from '../src/index.js'

const Schema = Type.Object({ REDIS_URL: Type.Optional(Type.String()), ...RedisDeploymentEnv })

t.test('REDIS_SENTINELS › host:port lists, IPv6 in brackets, are read as addresses', async t => {
  const config = parseEnv(Schema, { REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.7:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'latchkey' })
  t.same(redisAddresses(config.REDIS_SENTINELS ?? ''), [
    { host: 'sentinel-a', port: 26379 }, { host: '10.0.0.7', port: 26380 }, { host: '::1', port: 26381 }
  ])
  t.same(redisDeploymentProblems(config), [])
})

t.test('REDIS_SENTINELS › a URL, a missing port or an empty item is refused, naming the variable', async t => {
  for (const value of ['redis://sentinel:26379', 'sentinel-a', 'sentinel-a:26379,,b:1', 'a:26379;b:26379']) {
    const error = (() => { try { parseEnv(Schema, { REDIS_SENTINELS: value }) } catch (error) { return error } })()
    t.ok(error instanceof ConfigError && error.problems.some(problem => problem.startsWith('REDIS_SENTINELS')), value)
  }
})

t.test('redisDeploymentProblems › one mode at a time, each variable where it means something', async t => {
  t.same(redisDeploymentProblems({ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }),
    ['REDIS_SENTINELS: set either REDIS_URL or REDIS_SENTINELS, not both'])
  t.same(redisDeploymentProblems({ REDIS_SENTINELS: 's:26379' }), ['REDIS_SENTINEL_NAME: required with REDIS_SENTINELS'])
  t.same(redisDeploymentProblems({ REDIS_URL: 'redis://r:6379', REDIS_SENTINEL_NAME: 'm' }), ['REDIS_SENTINEL_NAME: only meaningful with REDIS_SENTINELS'])
  const problems = redisDeploymentProblems({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'hunter2-secret', REDIS_SENTINEL_PASSWORD: 'other-secret' })
  t.same(problems, [
    'REDIS_SENTINEL_PASSWORD: only meaningful with REDIS_SENTINELS',
    'REDIS_PASSWORD: only meaningful with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own credentials)'
  ])
  t.notMatch(problems.join('\n'), /secret/, 'no password value in the messages (ASVS 16.2.5)')
  t.same(redisDeploymentProblems({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_USERNAME: 'u', REDIS_PASSWORD: 'p', REDIS_SENTINEL_PASSWORD: 'q' }), [])
})

t.test('REDIS_CLUSTER_NODES › a host:port list like REDIS_SENTINELS; alone or with the data-node credentials, never with another mode', async t => {
  const config = parseEnv(Schema, { REDIS_CLUSTER_NODES: 'redis-0:6379,[::1]:7001', REDIS_USERNAME: 'latchkey-auth', REDIS_PASSWORD: 'p' })
  t.same(redisAddresses(config.REDIS_CLUSTER_NODES ?? ''), [{ host: 'redis-0', port: 6379 }, { host: '::1', port: 7001 }])
  t.same(redisDeploymentProblems(config), [])
  const error = (() => { try { parseEnv(Schema, { REDIS_CLUSTER_NODES: 'redis://redis-0:6379' }) } catch (error) { return error } })()
  t.ok(error instanceof ConfigError && error.problems.some(problem => problem.startsWith('REDIS_CLUSTER_NODES')), 'a URL is refused')
  t.same(redisDeploymentProblems({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'n:6379' }), ['REDIS_CLUSTER_NODES: set either REDIS_URL or REDIS_CLUSTER_NODES, not both'])
  t.same(redisDeploymentProblems({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'n:6379' }), ['REDIS_CLUSTER_NODES: set either REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both'])
  t.same(redisDeploymentProblems({ REDIS_CLUSTER_NODES: 'n:6379', REDIS_SENTINEL_PASSWORD: 'q' }), ['REDIS_SENTINEL_PASSWORD: only meaningful with REDIS_SENTINELS'])
})
