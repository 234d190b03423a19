/** The one error type of the client: an RFC 9457 problem answered by either service. */
import type { FieldError, Problem } from '@latchkey/contracts'

/** A problem body as received: the contract's members plus any extension members (e.g. `mfaToken`). */
export type ReceivedProblem = Problem & Record<string, unknown>

export class LatchkeyError extends Error {
  readonly status: number
  /** The stable machine code (`token_expired`, `email_taken` …); `http_error` when the answer was no problem. */
  readonly code: string
  readonly title: string
  readonly detail: string
  readonly errors: FieldError[] | undefined
  readonly problem: ReceivedProblem

  constructor (problem: ReceivedProblem) {
    super(problem.detail)
    this.name = 'LatchkeyError'
    this.status = problem.status
    this.code = problem.code
    this.title = problem.title
    this.detail = problem.detail
    this.errors = problem.errors
    this.problem = problem
  }
}

/** The problem of a failed answer; a body that is not a problem (a proxy's error page) still gives status and title. */
export async function problemOf (response: Response): Promise<LatchkeyError> {
  const body = await response.json().catch(() => undefined) as ReceivedProblem | undefined
  const fallback = { type: 'about:blank', status: response.status, code: 'http_error', title: response.statusText, detail: response.statusText }
  return new LatchkeyError(typeof body?.code === 'string' ? { ...fallback, ...body } : fallback)
}
