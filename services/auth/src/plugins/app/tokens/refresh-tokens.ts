/**
 * Refresh tokens: 256-bit opaque strings, stored only as SHA-256 hashes. A successor is derived
 * from its parent with an HMAC under a server secret, so a retry inside the grace window gets the
 * very same successor without any plaintext being stored. A MAC tag proves a presented token was
 * minted here, so only a genuine old token (not a guess at a session id) can trigger the reuse
 * rule that revokes a session.
 *
 * Layout (base64url): version(1) | session id(16) | generation(4) | secret(32) | tag(16).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

const VERSION = 1
const LENGTH = 1 + 16 + 4 + 32 + 16

export interface RefreshToken {
  sessionId: string
  generation: number
  token: string
  hash: Buffer
}

function uuidBytes (uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex')
}

function uuidString (bytes: Buffer): string {
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function hashRefreshToken (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

export function createRefreshTokens (serverSecret: Buffer) {
  const mac = (label: string, ...parts: Buffer[]): Buffer => {
    const hmac = createHmac('sha256', serverSecret).update(label)
    for (const part of parts) hmac.update(part)
    return hmac.digest()
  }

  const encode = (sessionId: string, generation: number, secret: Buffer): RefreshToken => {
    const body = Buffer.alloc(1 + 16 + 4 + 32)
    body.writeUInt8(VERSION, 0)
    uuidBytes(sessionId).copy(body, 1)
    body.writeUInt32BE(generation, 17)
    secret.copy(body, 21)
    const token = Buffer.concat([body, mac('tag', body).subarray(0, 16)]).toString('base64url')
    return { sessionId, generation, token, hash: hashRefreshToken(token) }
  }

  return {
    mint (sessionId: string): RefreshToken {
      return encode(sessionId, 0, randomBytes(32))
    },

    successorOf (parent: RefreshToken): RefreshToken {
      return encode(parent.sessionId, parent.generation + 1, mac('successor', Buffer.from(parent.token)).subarray(0, 32))
    },

    /** The token's parts when it was minted here, else undefined (garbage, forged, tampered). */
    parse (token: string): RefreshToken | undefined {
      if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined
      const bytes = Buffer.from(token, 'base64url')
      if (bytes.length !== LENGTH || bytes.readUInt8(0) !== VERSION) return undefined
      // Only the canonical encoding is accepted, so one token has exactly one spelling.
      if (bytes.toString('base64url') !== token) return undefined
      const body = bytes.subarray(0, LENGTH - 16)
      if (!timingSafeEqual(bytes.subarray(LENGTH - 16), mac('tag', body).subarray(0, 16))) return undefined
      return { sessionId: uuidString(bytes.subarray(1, 17)), generation: bytes.readUInt32BE(17), token, hash: hashRefreshToken(token) }
    }
  }
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>
