/**
 * The bodies this service understands: JSON, and JSON merge patch (RFC 7396) for PATCH. Every
 * other media type, text/plain included, is a 415.
 */
import fp from 'fastify-plugin'

export default fp(async function contentTypes (app) {
  app.removeAllContentTypeParsers()
  // 'error' on __proto__ / constructor keys: a body is never allowed to touch prototypes.
  app.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))
}, { name: 'content-types', fastify: '5.x' })
