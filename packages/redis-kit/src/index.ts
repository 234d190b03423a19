/** @latchkey/redis-kit: every Redis connection of both services, made and closed one way. */
export { connectRedis, closeRedis, sameSlot, type RedisSettings, type RedisSentinelSettings, type RedisClusterSettings, type RedisRole, type RedisClient } from './connect.js'
export { redisSettingsOf, type RedisEnv } from './settings.js'
