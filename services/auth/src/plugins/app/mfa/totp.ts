/**
 * TOTP (RFC 6238) through `otpauth`, with the parameters every authenticator app accepts (SHA-1,
 * 6 digits, 30 s), and recovery codes. Secrets and codes come from node:crypto's CSPRNG.
 */
import { createHash, randomBytes } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'

const ALGORITHM = 'SHA1'
const DIGITS = 6
const PERIOD = 30
/** ±1 step of clock drift between the server and the app (RFC 6238 §5.2). */
const DRIFT_STEPS = 1
/** RFC 4226 §4 recommends 160-bit secrets. */
const SECRET_BYTES = 20
const RECOVERY_CODE_BYTES = 15
const RECOVERY_CODE_COUNT = 10

function otpSecret (secret: Buffer): Secret {
  return new Secret({ buffer: secret.buffer.slice(secret.byteOffset, secret.byteOffset + secret.length) })
}

export function newTotpSecret (): Buffer {
  return randomBytes(SECRET_BYTES)
}

export function base32Of (secret: Buffer): string {
  return otpSecret(secret).base32
}

export function otpauthUri (secret: Buffer, issuer: string, label: string): string {
  return new TOTP({ issuer, label, secret: otpSecret(secret), algorithm: ALGORITHM, digits: DIGITS, period: PERIOD }).toString()
}

/**
 * The time step a code belongs to, within ±1 step of the server's clock (never the client's,
 * ASVS 6.5.8), or undefined when it matches none.
 */
export function matchingStep (secret: Buffer, code: string, nowMs: number = Date.now()): number | undefined {
  const delta = TOTP.validate({ token: code, secret: otpSecret(secret), algorithm: ALGORITHM, digits: DIGITS, period: PERIOD, timestamp: nowMs, window: DRIFT_STEPS })
  return delta === null ? undefined : TOTP.counter({ period: PERIOD, timestamp: nowMs }) + delta
}

/** 120 random bits each (ASVS 6.5.2: at least 112 bits for a plain hash), as XXXX-XXXX-XXXX-XXXX-XXXX-XXXX. */
export function newRecoveryCodes (): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => otpSecret(randomBytes(RECOVERY_CODE_BYTES)).base32.match(/.{4}/g)?.join('-') ?? '')
}

/** Hyphens, spaces and case do not matter. */
export function hashRecoveryCode (code: string): Buffer {
  return createHash('sha256').update(code.replace(/[\s-]/g, '').toUpperCase()).digest()
}
