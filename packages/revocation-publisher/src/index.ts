/**
 * @latchkey/revocation-publisher: the write side of the revocation feed, the auth service's alone.
 * Guards read what it writes through @latchkey/fastify-jwt-guard; the protocol between them is in
 * @latchkey/contracts (revocations.ts).
 */
export { createRedisRevocationPublisher, type RedisRevocationPublisherOptions } from './redis-revocation-publisher.js'
export { createInProcessRevocationStore, type InProcessRevocationStore } from './in-process-revocation-store.js'
