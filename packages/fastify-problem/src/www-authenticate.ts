/**
 * The `WWW-Authenticate` challenge of every 401 (RFC 9110 §11.6.1 requires one). Both services
 * protect their routes with bearer access tokens, so the challenge is always the Bearer scheme of
 * RFC 6750: bare when no token was presented (§3.1 says no error code then), with `error` and
 * `error_description` when the presented token was refused. The descriptions are fixed strings
 * chosen by our code, never echoed input, so they need no escaping beyond what is checked here.
 */
export const BEARER_REALM = 'latchkey'

export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope'

export function bearerChallenge (refusal?: { error: BearerError, description: string }): string {
  if (refusal === undefined) return `Bearer realm="${BEARER_REALM}"`
  // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E (no quote, no backslash).
  if (!/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(refusal.description)) throw new Error('error_description holds a character RFC 6750 forbids')
  return `Bearer realm="${BEARER_REALM}", error="${refusal.error}", error_description="${refusal.description}"`
}
