/**
 * The one error type our code throws for an expected failure. The problem handler turns it into
 * an RFC 9457 answer; anything else thrown is a bug and becomes a generic 500.
 */
import { type ErrorCode, type FieldError } from '@latchkey/contracts'

export class HttpProblem extends Error {
  readonly statusCode: number
  readonly code: ErrorCode
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>
  /** RFC 9457 extension members (e.g. the mfaToken of mfa_required); the route's response schema must declare them. */
  readonly extensions: Record<string, unknown> | undefined

  constructor (statusCode: number, code: ErrorCode, detail: string, options: { errors?: FieldError[], headers?: Record<string, string>, extensions?: Record<string, unknown> } = {}) {
    super(detail)
    this.name = 'HttpProblem'
    this.statusCode = statusCode
    this.code = code
    this.errors = options.errors
    this.headers = options.headers ?? {}
    this.extensions = options.extensions
  }
}

export function isHttpProblem (error: unknown): error is HttpProblem {
  return error instanceof HttpProblem
}

/** A 400 validation_failed naming one offending field, for checks a schema cannot express. */
export function validationProblem (path: string, message: string): HttpProblem {
  return new HttpProblem(400, 'validation_failed', 'The request is not valid', { errors: [{ path, message }] })
}
