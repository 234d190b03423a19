/**
 * One RFC 9457 error handler and 404 handler, so both services answer errors byte-for-byte alike.
 * Fastify's own errors (validation, media type, body size, malformed JSON) are mapped to the
 * contract's codes; a 5xx never echoes its message, and is logged with the request id. The same
 * plugin holds the HTTP conventions both services keep: every 401 carries a `WWW-Authenticate`
 * challenge, a known path asked with another method is a 405 with `Allow`, and every answer
 * echoes its request id in `X-Request-Id`.
 */
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { errorTitles, problemType, type ErrorCode, type FieldError, type Problem } from '@latchkey/contracts'
import { isHttpProblem } from './http-problem.js'
import { refuseMalformedText } from './text-hygiene.js'
import { createRouteMethods } from './method-not-allowed.js'
import { REQUEST_ID_HEADER } from './request-id.js'
import { bearerChallenge } from './www-authenticate.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8'

export function buildProblem (status: number, code: ErrorCode, detail: string, errors?: FieldError[]): Problem {
  const problem: Problem = { type: problemType(code), title: errorTitles[code], status, detail, code }
  if (errors !== undefined) problem.errors = errors
  return problem
}

interface AjvLikeError {
  instancePath?: string
  keyword?: string
  message?: string
  params?: Record<string, unknown>
}

function fieldErrors (validation: AjvLikeError[], context: string | undefined): FieldError[] {
  return validation.map(error => {
    let path = error.instancePath ?? ''
    const params = error.params ?? {}
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') path += `/${params.missingProperty}`
    if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      return { path: `${path}/${params.additionalProperty}`, message: 'is not an allowed property' }
    }
    const where = context !== undefined && context !== 'body' ? `${context} ` : ''
    return { path, message: `${where}${error.message ?? 'is not valid'}` }
  })
}

function sendProblem (reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): FastifyReply {
  // A 401 without a challenge breaks RFC 9110; the bare Bearer one fits any route of ours.
  if (problem.status === 401 && headers['www-authenticate'] === undefined) headers = { ...headers, 'www-authenticate': bearerChallenge() }
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem)
}

/**
 * Errors that mean a dependency is out of reach rather than a bug: connection failures of
 * postgres.js, ioredis and node itself, and PostgreSQL's connection-exception and shutdown
 * classes (08xxx, 57P0x). They answer 503, so clients retry instead of reporting a 500.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND',
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  '57P01', '57P02', '57P03', '53300'
])

// Any error reaches the root handler, whatever Fastify's type says: a driver's may have no code.
function isDependencyUnavailable (error: Error & { code?: unknown }): boolean {
  const code = typeof error.code === 'string' || typeof error.code === 'number' ? String(error.code) : ''
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08') || error.name === 'MaxRetriesPerRequestError'
}

/** The problem for any error, or undefined when it is unexpected (then a 500 is logged and sent). */
function toProblem (error: FastifyError): Problem | undefined {
  if (error.validation !== undefined) {
    return buildProblem(400, 'validation_failed', 'The request is not valid', fieldErrors(error.validation, error.validationContext))
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return buildProblem(415, 'unsupported_media_type', 'Send the body as application/json')
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return buildProblem(413, 'payload_too_large', 'The request body exceeds the size limit')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return buildProblem(400, 'validation_failed', 'The request body is empty', [{ path: '', message: 'a JSON body is required' }])
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return buildProblem(400, 'validation_failed', 'The request body is not valid JSON', [{ path: '', message: 'malformed JSON' }])
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return buildProblem(400, 'validation_failed', 'The request body is not valid JSON', [{ path: '', message: 'malformed JSON' }])
  }
  if (error.statusCode === 415) return buildProblem(415, 'unsupported_media_type', 'Unsupported media type')
  if (error.statusCode === 413) return buildProblem(413, 'payload_too_large', 'The request body exceeds the size limit')
  return undefined
}

function problemHandler (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isHttpProblem(error)) {
    if (error.statusCode >= 500) request.log.warn({ code: error.code }, error.message)
    const problem = buildProblem(error.statusCode, error.code, error.message, error.errors)
    return sendProblem(reply, error.extensions === undefined ? problem : { ...error.extensions, ...problem }, error.headers)
  }
  const problem = toProblem(error)
  if (problem !== undefined) return sendProblem(reply, problem)
  if (isDependencyUnavailable(error)) {
    request.log.warn({ err: error }, 'a dependency is unavailable')
    return sendProblem(reply, buildProblem(503, 'service_unavailable', 'A dependency is unavailable; retry shortly'), { 'retry-after': '1' })
  }
  request.log.error({ err: error }, 'unexpected error')
  return sendProblem(reply, buildProblem(500, 'internal_error', 'An unexpected error occurred'))
}

/**
 * For Fastify's `frameworkErrors` server option: the router's own refusals (a path parameter over
 * maxParamLength, a malformed URL) answer as problems too, instead of Fastify's raw JSON that
 * echoes the path.
 */
export function frameworkErrors (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path parameter is too long' : 'the URL is malformed'
  void sendProblem(reply, buildProblem(400, 'validation_failed', 'The request is not valid', [{ path: '', message }]))
}

export const fastifyProblem = fp(async function fastifyProblem (app: FastifyInstance) {
  // JSON in only: without Fastify's text/plain parser, any other body type is a 415.
  app.removeContentTypeParser('text/plain')
  app.setErrorHandler(problemHandler)
  const routeMethods = createRouteMethods()
  app.setNotFoundHandler((request, reply) => {
    // The path is not echoed: a client may have put something secret in it.
    const allowed = routeMethods.allowed(request.url)
    if (allowed.length > 0) {
      return sendProblem(reply, buildProblem(405, 'method_not_allowed', `${request.method} is not allowed on this path`), { allow: allowed.join(', ') })
    }
    return sendProblem(reply, buildProblem(404, 'not_found', `No route matches ${request.method} on this path`))
  })
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    done()
  })
  app.addHook('onRoute', route => {
    routeMethods.add(route.method, route.url)
    // Only routes that take input pay for the check (GET /verify, the hot path, takes none).
    const schema = route.schema
    if (schema?.body === undefined && schema?.querystring === undefined && schema?.params === undefined) return
    const existing = route.preValidation
    route.preValidation = existing === undefined ? [refuseMalformedText] : [refuseMalformedText, ...(Array.isArray(existing) ? existing : [existing])]
  })
}, { name: 'fastify-problem', fastify: '5.x' })
