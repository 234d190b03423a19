/**
 * Mounts the shared token guard: signatures checked against the auth service's keys, claims
 * against our issuer and audience, and revocations from an in-memory view fed by the revocation
 * feed, so no request ever calls the auth service. The view is ours (started here, closed on
 * close); the feed and key source belong to whoever injected them.
 */
import fp from 'fastify-plugin'
import {
  createAccessTokenVerifier,
  fastifyJwtGuard,
  RevocationView,
  type KeySource,
  type RevocationFeed
} from '@latchkey/fastify-jwt-guard'

/** How long start-up waits for the first heartbeat of the auth service's revocation relay. */
const STARTUP_FRESHNESS_WAIT_MS = 5_000

export interface JwtGuardPluginOptions {
  keySource: KeySource
  revocationFeed: RevocationFeed
  issuer: string
  audience: string
  leewaySeconds: number
  /** The auth service's ACCESS_TOKEN_TTL: the longest exp - iat accepted. */
  maxLifetimeSeconds: number
  maxStalenessSeconds: number
}

export default fp<JwtGuardPluginOptions>(async function jwtGuard (app, options) {
  const revocations = new RevocationView(options.revocationFeed, {
    maxStalenessMs: options.maxStalenessSeconds * 1000,
    // An emergency rotation withdraws a key and signs with its replacement at once.
    onKeyRevoked: () => { options.keySource.keySetChanged?.() }
  })
  await revocations.start()
  // Fresh once the auth service's relay vouches for the loaded view; starts anyway (503) without it.
  app.addHook('onReady', async () => { await revocations.whenFresh(STARTUP_FRESHNESS_WAIT_MS) })
  app.addHook('onClose', async () => { await revocations.close() })
  const verifier = createAccessTokenVerifier({
    keys: options.keySource,
    issuer: options.issuer,
    audience: options.audience,
    leewaySeconds: options.leewaySeconds,
    maxLifetimeSeconds: options.maxLifetimeSeconds,
    revocations
  })
  // The guard decorates app.revocations with the view.
  await app.register(fastifyJwtGuard, { verifier, revocations })
}, { name: 'jwt-guard', fastify: '5.x' })
