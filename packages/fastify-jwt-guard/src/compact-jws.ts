/**
 * Takes a compact JWS apart under the access-token rules, before any key is touched: strict
 * base64url, a header with exactly our alg and typ, a bounded kid, and none of the header
 * parameters that let a token choose its own key (RFC 8725 §3.1, §3.10, §3.11).
 */
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYPE } from '@latchkey/contracts'

export const MAX_TOKEN_LENGTH = 4096
const MAX_KID_LENGTH = 128
const ED25519_SIGNATURE_BYTES = 64
const BASE64URL = /^[A-Za-z0-9_-]+$/
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`])
/** Each of these would let the token name or carry its own key, or demand extensions we do not implement. */
const FORBIDDEN_HEADERS = ['crit', 'jku', 'x5u', 'x5c', 'jwk'] as const

export interface CompactJws {
  kid: string
  signingInput: string
  payload: Buffer
  signature: Buffer
}

/** The 6-bit value of a base64url character (the alphabet was checked before). */
function sextet (code: number): number {
  if (code >= 97) return code - 71 // a-z: 26-51
  if (code === 95) return 63 // _
  if (code >= 65) return code - 65 // A-Z: 0-25
  if (code >= 48) return code + 4 // 0-9: 52-61
  return 62 // -
}

/**
 * Decodes canonical, unpadded base64url only; anything another encoder would write differently is
 * refused: a length no encoder writes, or a last character whose unused low bits are not zero
 * (it decodes to the same bytes as the canonical one, so a signature could be re-spelled).
 */
function decodeStrict (part: string): Buffer | undefined {
  if (!BASE64URL.test(part)) return undefined
  const tail = part.length % 4
  if (tail === 1) return undefined
  const unusedBits = tail === 2 ? 0x0f : tail === 3 ? 0x03 : 0
  if ((sextet(part.charCodeAt(part.length - 1)) & unusedBits) !== 0) return undefined
  return Buffer.from(part, 'base64url')
}

function parseJsonObject (bytes: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/** The parts of the token, or a reason (for logs, never containing the token) why it is refused. */
export function parseCompactJws (token: string): CompactJws | string {
  if (token.length > MAX_TOKEN_LENGTH) return 'token too long'
  const firstDot = token.indexOf('.')
  const secondDot = token.indexOf('.', firstDot + 1)
  if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) return 'not three dot-separated parts'
  const headerBytes = decodeStrict(token.slice(0, firstDot))
  const payload = decodeStrict(token.slice(firstDot + 1, secondDot))
  const signature = decodeStrict(token.slice(secondDot + 1))
  if (headerBytes === undefined || payload === undefined || signature === undefined) return 'not strict base64url'
  const header = parseJsonObject(headerBytes)
  if (header === undefined) return 'header is not a JSON object'
  if (header.alg !== ACCESS_TOKEN_ALG) return 'alg not allowed'
  if (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ)) return 'typ not allowed'
  for (const name of FORBIDDEN_HEADERS) if (Object.hasOwn(header, name)) return `header parameter ${name} not allowed`
  const kid = header.kid
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) return 'kid missing or too long'
  if (signature.length !== ED25519_SIGNATURE_BYTES) return 'signature has the wrong length'
  return { kid, signingInput: token.slice(0, secondDot), payload, signature }
}
