/**
 * The OpenAPI 3.1 document (/docs/json) and Swagger UI (/docs). Shared schemas keep their $id as
 * their component name (not def-0), so `Type.Ref('Problem')` reads as #/components/schemas/Problem.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

export interface SwaggerPluginOptions {
  serverUrl: string
}

export default fp<SwaggerPluginOptions>(async function openApi (app, options) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey users service',
        version: '0.1.0',
        description: 'Profiles: who a person is. Credentials and sessions live in the auth service.',
        license: { name: 'MIT', identifier: 'MIT' }
      },
      servers: [{ url: options.serverUrl, description: 'users service' }],
      tags: [
        { name: 'profiles', description: 'Your own and other people\'s profiles' },
        { name: 'health', description: 'Liveness and readiness' }
      ],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the auth service' }
        }
      }
    },
    refResolver: {
      buildLocalReference (json, _baseUri, _fragment, i) {
        return typeof json.$id === 'string' ? json.$id : `def-${i}`
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'swagger', fastify: '5.x' })
