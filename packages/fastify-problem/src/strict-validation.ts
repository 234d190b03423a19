/**
 * Request validation that never coerces a body (a number is not a password) and never strips
 * unknown properties (schemas say additionalProperties: false, so they are refused). Querystring,
 * params and headers arrive as strings and are coerced to their declared types, which is the
 * only place coercion is meant. Fastify's default uses one Ajv with coerceTypes for every part.
 */
import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'
import { isUuid } from '@latchkey/contracts'

function createAjv (options: Options): Ajv {
  const ajv = new Ajv({ allErrors: false, useDefaults: true, removeAdditional: false, strict: false, ...options })
  addFormats.default(ajv)
  // The one UUID rule, as everywhere else (ajv-formats' own would also take a urn:uuid: prefix).
  ajv.addFormat('uuid', { type: 'string', validate: isUuid })
  return ajv
}

export function createStrictValidatorCompiler (): FastifySchemaCompiler<unknown> {
  const bodies = createAjv({ coerceTypes: false })
  const strings = createAjv({ coerceTypes: 'array' })
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodies : strings
    return ajv.compile(schema as object)
  }
}
