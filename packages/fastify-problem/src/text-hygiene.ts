/**
 * Refuses, before validation, any request whose body, query string or path parameters hold a
 * string (value or key) that is not well-formed text: a 400 naming where, instead of a 500 from
 * the database or a silently altered value.
 */
import type { FastifyRequest } from 'fastify'
import { isWellFormedText } from '@latchkey/contracts'
import { validationProblem } from './http-problem.js'

function findMalformed (value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : path
  if (depth > 32 || value === null || typeof value !== 'object') return undefined
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`
    if (!isWellFormedText(key)) return itemPath
    const found = findMalformed(item, itemPath, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

export async function refuseMalformedText (request: FastifyRequest): Promise<void> {
  for (const [part, value] of [['', request.body], ['querystring', request.query], ['params', request.params]] as const) {
    const path = findMalformed(value, '')
    if (path !== undefined) {
      throw validationProblem(path, `${part === '' ? '' : `${part} `}must be well-formed Unicode text without NUL characters`)
    }
  }
}
