/**
 * Peer of scenario 10: a Fastify route guarded by @fastify/jwt (fast-jwt underneath), verifying
 * the same EdDSA access tokens as Latchkey's GET /verify, with the same checks (algorithm, issuer,
 * audience, expiry) and the same answer. PEER_JWT_CACHE=on|off sets fast-jwt's verification cache.
 */
import Fastify from 'fastify'
import fastifyJwt from '@fastify/jwt'
import { reportReady, required, serveIpc } from './ipc.mjs'

const cache = required('PEER_JWT_CACHE') === 'on'
const app = Fastify({ logger: false })
await app.register(fastifyJwt, {
  secret: { public: required('BENCH_PUBLIC_KEY') },
  verify: { algorithms: ['EdDSA'], allowedIss: required('PEER_ISSUER'), allowedAud: required('PEER_AUDIENCE'), cache }
})

app.get('/verify', { onRequest: async request => { await request.jwtVerify() } }, async (request, reply) => {
  const { sub, sid, roles, exp } = request.user
  reply.headers({ 'x-auth-subject': sub, 'x-auth-session': sid, 'x-auth-roles': roles.join(',') })
  return { sub, sid, roles, exp }
})

serveIpc(app, [])
await app.listen({ port: 0, host: '127.0.0.1' })
reportReady(app)
