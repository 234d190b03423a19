/**
 * The OpenAPI 3.1 document at /docs/json and Swagger UI at /docs (unless turned off), generated from the routes'
 * TypeBox schemas, the same way for both services: shared shapes are components named by their
 * `$id` (not def-N), bearer tokens are the one security scheme, and every answer documents its
 * X-Request-Id header.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { TSchema } from '@sinclair/typebox'
import { FieldErrorSchema, HealthSchema, ProblemSchema } from '@latchkey/contracts'
import { responseHeaders } from './responses.js'

export interface OpenApiOptions {
  title: string
  description: string
  serverUrl: string
  tags: Array<{ name: string, description: string }>
  /** The service's own shapes routes refer to by $id (Problem, FieldError and Health are always there). */
  schemas: TSchema[]
  /**
   * Serve the document (/docs/json, /docs/yaml) and Swagger UI (/docs) (DOCS_ENABLED). Off, those
   * paths answer 404, and the document is still built (`app.swagger()`), for tests and snapshots.
   */
  ui: boolean
}

interface DocumentedResponse { headers?: Record<string, unknown> }

/** Every answer carries X-Request-Id (set by @latchkey/fastify-problem): said once here, not per route. */
function documentRequestIds<D extends { paths?: unknown }> (document: D): D {
  const { 'X-Request-Id': schema } = responseHeaders.requestId
  const pathItems = Object.values((document.paths ?? {}) as Record<string, Record<string, unknown>>)
  for (const operation of pathItems.flatMap(item => Object.values(item))) {
    if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue
    for (const response of Object.values(operation.responses as Record<string, DocumentedResponse>)) {
      response.headers = { 'X-Request-Id': { description: schema.description, schema: { type: 'string' } }, ...response.headers }
    }
  }
  return document
}

export const openapi = fp<OpenApiOptions>(async function openapi (app, options) {
  for (const schema of [FieldErrorSchema, ProblemSchema, HealthSchema, ...options.schemas]) app.addSchema(schema)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, version: '0.1.0', description: options.description, license: { name: 'MIT', identifier: 'MIT' } },
      servers: [{ url: options.serverUrl }],
      tags: [...options.tags, { name: 'health', description: 'Liveness and readiness' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
      }
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => typeof json.$id === 'string' ? json.$id : `def-${i}` },
    transformObject: documentObject => 'openapiObject' in documentObject ? documentRequestIds(documentObject.openapiObject) : documentObject.swaggerObject
  })
  // staticCSP: the UI's page gets a CSP naming its own scripts and styles.
  if (options.ui) await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true })
}, { name: 'openapi', fastify: '5.x' })
