/**
 * @latchkey/fastify-jwt-guard: what a service that checks access tokens needs: the verifier, the
 * key sources, the revocation view and the read side of its feed, the Fastify guard. Writing
 * revocations is the auth service's alone (@latchkey/revocation-publisher).
 */
export type { RevocationEntry, RevocationFeed, RevocationHeartbeat, RevocationListener, RevocationSnapshot } from '@latchkey/contracts'
export { createRedisRevocationFeed, type RedisRevocationFeedOptions } from './redis-revocation-feed.js'
export { RevocationView, type RevocationViewOptions } from './revocation-view.js'
export { type KeySource, importJwks, KeysUnavailableError } from './key-source.js'
export { createStaticKeySource, type StaticKeySource } from './static-key-source.js'
export { createRemoteKeySource, type RemoteKeySource, type RemoteKeySourceOptions } from './remote-key-source.js'
export { createAccessTokenVerifier, type AccessTokenVerifier, type AccessTokenVerifierOptions, type TokenCheck } from './access-token-verifier.js'
export { fastifyJwtGuard, caller, type FastifyJwtGuardOptions, type RequestAuth, type AuthHook } from './fastify-jwt-guard.js'
