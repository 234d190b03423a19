/**
 * Security headers on every answer (helmet): nosniff, no referrer, no framing, and a CSP that
 * allows nothing, since this API serves JSON only (the docs page sets its own CSP).
 */
import fp from 'fastify-plugin'
import helmet from '@fastify/helmet'
import cors from '@fastify/cors'

export interface SecurityHeadersOptions {
  corsOrigins: string[]
  hstsMaxAgeSeconds: number
}

export default fp<SecurityHeadersOptions>(async function securityHeaders (app, options) {
  // CORS only for the origins named in CORS_ORIGINS; none by default (ASVS 3.4.2).
  if (options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins, methods: ['GET', 'PUT', 'PATCH'], allowedHeaders: ['authorization', 'content-type', 'if-match'], exposedHeaders: ['etag'], maxAge: 600 })
  }
  await app.register(helmet, {
    hsts: options.hstsMaxAgeSeconds > 0 ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: true } : false,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    xContentTypeOptions: true
  })
}, { name: 'security-headers', fastify: '5.x' })
