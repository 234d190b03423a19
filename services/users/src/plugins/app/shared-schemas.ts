/**
 * Registers the shapes routes refer to by $id, once, so responses and the OpenAPI components
 * share one definition of each.
 */
import fp from 'fastify-plugin'
import {
  FieldErrorSchema,
  HealthSchema,
  ProblemSchema,
  ProfileSchema,
  PublicProfilePageSchema,
  PublicProfileSchema
} from '@latchkey/contracts'

export default fp(async function sharedSchemas (app) {
  for (const schema of [FieldErrorSchema, ProblemSchema, ProfileSchema, PublicProfileSchema, PublicProfilePageSchema, HealthSchema]) {
    app.addSchema(schema)
  }
}, { name: 'shared-schemas', fastify: '5.x' })
