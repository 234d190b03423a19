/**
 * Peer of scenario 10: Better Auth on Fastify with its PostgreSQL adapter (a pg Pool whose
 * search_path is the run's own schema, PEER_SCHEMA, which the runner creates and drops; the tables
 * come from Better Auth's own migration API). Email and password sign-in, the bearer() plugin for
 * the session check, the jwt() plugin for a token checked with jose against its JWKS.
 *
 *   /api/auth/*           Better Auth's handler (sign-up, sign-in/email, token, jwks, …), scrypt:
 *                         its default hash (node:crypto scrypt N=16384 r=16 p=1)
 *   /argon2/api/auth/*    a second instance on the same tables whose password hash is argon2id at
 *                         Latchkey's parameters (@node-rs/argon2 m=19456 t=2 p=1), for a like-for-like
 *                         sign-in
 *   GET /session          the bearer session check: auth.api.getSession from the Authorization header
 *   GET /jwt              the jwt() plugin's token verified with jose against the JWKS (fetched once)
 *
 * Rate limiting, telemetry and the logger are off; the session cookie cache is off (its default).
 */
import Fastify from 'fastify'
import pg from 'pg'
import { betterAuth } from 'better-auth'
import { fromNodeHeaders } from 'better-auth/node'
import { bearer, jwt } from 'better-auth/plugins'
import { getMigrations } from 'better-auth/db/migration'
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { reportReady, required, serveIpc } from './ipc.mjs'

const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }

const pool = new pg.Pool({
  connectionString: required('DATABASE_URL'),
  // The same pool size as the services' postgres.js pools (postgres-kit's default).
  max: 10,
  options: `-c search_path=${required('PEER_SCHEMA')}`
})
const app = Fastify({ logger: false })
/** Filled in once the server listens: the two Better Auth instances, the JWKS and the issuer. */
const peer = { instances: [], jwks: undefined, issuer: '' }

function authOptions (baseURL, basePath, extra) {
  return {
    baseURL,
    basePath,
    secret: required('PEER_SECRET'),
    database: pool,
    emailAndPassword: { enabled: true, ...extra.emailAndPassword },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    plugins: extra.plugins
  }
}

/** Better Auth's own handler, as its Fastify guide mounts it: a Web Request in, a Web Response out. */
function mount (prefix, index) {
  app.route({
    method: ['GET', 'POST'],
    url: `${prefix}/*`,
    async handler (request, reply) {
      const init = { method: request.method, headers: fromNodeHeaders(request.headers) }
      if (request.body !== undefined) init.body = JSON.stringify(request.body)
      const response = await peer.instances[index].handler(new Request(new URL(request.url, `http://${request.headers.host}`), init))
      reply.status(response.status)
      response.headers.forEach((value, name) => { reply.header(name, value) })
      return await reply.send(response.body === null ? null : await response.text())
    }
  })
}
mount('/api/auth', 0)
mount('/argon2/api/auth', 1)

app.get('/session', async (request, reply) => {
  const session = await peer.instances[0].api.getSession({ headers: fromNodeHeaders(request.headers) })
  if (session === null) return await reply.code(401).send({ ok: false })
  return session.user
})

app.get('/jwt', async (request, reply) => {
  const token = request.headers.authorization?.slice(7) ?? ''
  try {
    const { payload } = await jwtVerify(token, peer.jwks, { issuer: peer.issuer, audience: peer.issuer, algorithms: ['EdDSA'] })
    return { sub: payload.sub, exp: payload.exp }
  } catch {
    return await reply.code(401).send({ ok: false })
  }
})

serveIpc(app, [async () => { await pool.end() }])
// Listening first: the base URL (the JWT's issuer and audience) has the port in it.
await app.listen({ port: 0, host: '127.0.0.1' })
const issuer = `http://127.0.0.1:${app.server.address().port}`
// With jwt() on, every get-session would also sign a JWT into a set-auth-jwt header; off here, so
// the session check measures the session check (clients take their JWT from /api/auth/token).
const scrypt = authOptions(issuer, '/api/auth', { plugins: [bearer(), jwt({ jwt: { expirationTime: '1h' }, disableSettingJwtHeader: true })] })
const argon2 = authOptions(issuer, '/argon2/api/auth', {
  emailAndPassword: {
    password: {
      hash: async password => await argonHash(password, ARGON2),
      verify: async ({ hash, password }) => await argonVerify(hash, password)
    }
  },
  plugins: [bearer()]
})
const { runMigrations } = await getMigrations(scrypt)
await runMigrations()
peer.instances.push(betterAuth(scrypt), betterAuth(argon2))
peer.issuer = issuer
peer.jwks = createRemoteJWKSet(new URL(`${issuer}/api/auth/jwks`))
reportReady(app)
