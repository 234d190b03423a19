/**
 * Security headers on every answer (the shared @latchkey/fastify-security-headers): nosniff, no
 * referrer, no framing, and a CSP that allows nothing, since this API serves JSON only (the docs
 * page sets its own CSP); plus CORS for the allowed origins.
 */
import fp from 'fastify-plugin'
import { fastifySecurityHeaders } from '@latchkey/fastify-security-headers'
import cors from '@fastify/cors'

export interface SecurityHeadersOptions {
  corsOrigins: string[]
  hstsMaxAgeSeconds: number
}

export default fp<SecurityHeadersOptions>(async function securityHeaders (app, options) {
  // CORS only for the origins named in CORS_ORIGINS; none by default (ASVS 3.4.2).
  if (options.corsOrigins.length > 0) {
    await app.register(cors, { origin: options.corsOrigins, methods: ['GET', 'PUT', 'PATCH'], allowedHeaders: ['authorization', 'content-type', 'if-match'], exposedHeaders: ['etag', 'x-request-id'], maxAge: 600 })
  }
  // The docs page (Swagger UI, staticCSP) keeps its own CSP; /users/me answers add no-store themselves.
  await app.register(fastifySecurityHeaders, { hstsMaxAgeSeconds: options.hstsMaxAgeSeconds })
}, { name: 'security-headers', fastify: '5.x' })
