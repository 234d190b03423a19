/**
 * The OpenAPI 3.1 document at /docs/json and Swagger UI at /docs, generated from the TypeBox
 * schemas of the routes; components keep their $id names instead of def-N.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export default fp(async function openapi (app, options: { serverUrl: string }) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey auth service',
        version: '0.1.0',
        description: 'Accounts, credentials, sessions, EdDSA access tokens, rotating refresh tokens and revocation.',
        license: { name: 'MIT', identifier: 'MIT' }
      },
      servers: [{ url: options.serverUrl }],
      tags: [
        { name: 'accounts', description: 'Registration and the caller\'s own account' },
        { name: 'admin', description: 'Account administration (role admin)' },
        { name: 'sessions', description: 'Log in, refresh, log out' },
        { name: 'tokens', description: 'Forward-auth verification and signing keys' },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
      }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` }
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
}, { name: 'openapi' })
