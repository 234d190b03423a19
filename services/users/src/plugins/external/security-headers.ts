/**
 * Security headers on every answer (helmet): nosniff, no referrer, no framing, and a CSP that
 * allows nothing, since this API serves JSON only (the docs page sets its own CSP).
 */
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'

export default fp(async function securityHeaders (app) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    xContentTypeOptions: true
  })
}, { name: 'security-headers', fastify: '5.x' })
