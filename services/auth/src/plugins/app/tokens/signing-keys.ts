/**
 * The Ed25519 keys access tokens are signed with, and their rotation. Generated at first start and
 * kept in this service's schema sealed under SECRETS_KEY (under an advisory lock, so replicas
 * starting together share one key), or given as JWT_PRIVATE_KEY. The kid is the key's RFC 7638
 * thumbprint.
 *
 * Every replica picks its keys from the table by time, so replicas agree without coordination:
 * a key is published from its insertion until retired_at, and signs from activates_at until a
 * later key activates. Each replica reloads the table periodically (and at once for a kid it does
 * not know), so a new key is in every JWKS long before it signs (KEY_PUBLISH_DELAY), and the old
 * one stays there until the last token it signed has expired.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import type { Sql } from 'postgres'
import type { Jwk, Jwks } from '@latchkey/contracts'
import type { KeySource, RevocationEntry } from '@latchkey/fastify-jwt-guard'
import type { SecretBox } from '../secrets/secret-box.js'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  jwk: Jwk
}

async function toSigningKey (privateKey: KeyObject): Promise<SigningKey> {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' })
  if (exported.kty !== 'OKP' || exported.crv !== 'Ed25519' || typeof exported.x !== 'string') {
    throw new Error('The signing key must be an Ed25519 key')
  }
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: exported.x })
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: exported.x, kid, alg: 'EdDSA', use: 'sig' } }
}

export const signingKeyContext = (kid: string): string => `signing-key:${kid}`

/** Opens a sealed private key; the envelope is bound to its kid and the key must match it. */
async function openSigningKey (box: SecretBox, kid: string, sealed: string): Promise<SigningKey> {
  const key = await toSigningKey(createPrivateKey({ key: box.open(sealed, signingKeyContext(kid)), format: 'der', type: 'pkcs8' }))
  if (key.kid !== kid) throw new Error(`signing key ${kid}: the sealed key has another thumbprint`)
  return key
}

function sealSigningKey (box: SecretBox, key: SigningKey): string {
  return box.seal(key.privateKey.export({ format: 'der', type: 'pkcs8' }), signingKeyContext(key.kid))
}

interface SigningKeyRow { kid: string, privateKeyPem: string | null, privateKeySealed: string | null, activatesAt: Date }

/** A published key and the moment it starts signing (epoch ms). */
interface PublishedKey extends SigningKey { activatesAt: number }

/** Tokens of the old key outlive the switch by their lifetime, plus this much clock skew between replicas. */
const CLOCK_MARGIN_SECONDS = 5
/** An unknown kid reloads the table at most this often (a flood of made-up kids is not a flood of queries). */
const UNKNOWN_KID_RELOAD_MS = 1_000

async function publishedRows (db: Sql): Promise<SigningKeyRow[]> {
  return await db<SigningKeyRow[]>`
    SELECT kid, private_key_pem, private_key_sealed, activates_at FROM signing_keys
    WHERE revoked_at IS NULL AND (retired_at IS NULL OR retired_at > now())
    ORDER BY activates_at DESC, created_at DESC`
}

export interface SigningKeys {
  /** The key to sign with now: the latest one whose activation time has come. */
  signingKey (): SigningKey
  /** Every published key: the signing one, one waiting to activate, one whose tokens still live. */
  jwks (): Jwks
  /** This service's own verifier reads its keys here; an unknown kid reloads the table first. */
  keySource: KeySource
  /** Reads the table again (other replicas or latchkey-admin may have rotated). */
  reload (): Promise<void>
  /** Rotates the keys in the table (latchkey-admin rotate-signing-key), then reloads. */
  rotate (options: Omit<RotationOptions, 'box'>): Promise<Rotation>
  close (): void
}

export interface SigningKeysOptions {
  /** JWT_PRIVATE_KEY: the one key, nothing read from or written to the table. */
  privateKeyPem?: string | undefined
  box: SecretBox
  /** How often the table is read again, ms. */
  reloadMs: number
  now?: () => number
}

function staticKeys (key: SigningKey): SigningKeys {
  const jwks = { keys: [key.jwk] }
  const publicKey = createPublicKey(key.privateKey)
  return {
    signingKey: () => key,
    jwks: () => jwks,
    keySource: { getKey: kid => kid === key.kid ? publicKey : undefined, hasKey: kid => kid === key.kid },
    reload: async () => {},
    rotate: async () => { throw new Error('JWT_PRIVATE_KEY is set: the service signs with that key alone; rotate it yourself') },
    close: () => {}
  }
}

/**
 * Loads the published keys, generating one if there is none, and seals the clear rows an earlier
 * version left (same key, so its tokens stay valid); then reloads every reloadMs.
 */
export async function openSigningKeys (sql: Sql, options: SigningKeysOptions): Promise<SigningKeys> {
  if (options.privateKeyPem !== undefined) return staticKeys(await toSigningKey(createPrivateKey(options.privateKeyPem)))
  const { box } = options
  const now = options.now ?? Date.now
  const opened = new Map<string, SigningKey>()

  async function toPublished (row: SigningKeyRow): Promise<PublishedKey> {
    let key = opened.get(row.kid)
    if (key === undefined) {
      key = row.privateKeySealed !== null ? await openSigningKey(box, row.kid, row.privateKeySealed) : await toSigningKey(createPrivateKey(row.privateKeyPem ?? ''))
      opened.set(row.kid, key)
    }
    return { ...key, activatesAt: row.activatesAt.getTime() }
  }

  const rows = await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('latchkey-signing-keys'))`
    const existing = await publishedRows(tx as unknown as Sql)
    for (const row of existing) {
      if (row.privateKeySealed !== null) continue
      const key = await toSigningKey(createPrivateKey(row.privateKeyPem ?? ''))
      row.privateKeySealed = sealSigningKey(box, key)
      row.privateKeyPem = null
      await tx`UPDATE signing_keys SET private_key_sealed = ${row.privateKeySealed}, private_key_pem = NULL WHERE kid = ${row.kid}`
    }
    if (existing.length > 0) return existing
    const key = await toSigningKey(generateKeyPairSync('ed25519').privateKey)
    return await tx<SigningKeyRow[]>`
      INSERT INTO signing_keys (kid, private_key_sealed) VALUES (${key.kid}, ${sealSigningKey(box, key)})
      RETURNING kid, private_key_pem, private_key_sealed, activates_at`
  })

  let published = await Promise.all(rows.map(toPublished))
  let jwks: Jwks = { keys: published.map(key => key.jwk) }
  let reloading: Promise<void> | undefined
  let lastReloadAt = now()

  function reload (): Promise<void> {
    reloading ??= (async () => {
      lastReloadAt = now()
      const next = await Promise.all((await publishedRows(sql)).map(toPublished))
      // Never left with no key: a table emptied by hand keeps the keys this replica had.
      if (next.length === 0) return
      published = next
      jwks = { keys: next.map(key => key.jwk) }
      for (const kid of opened.keys()) {
        if (!next.some(key => key.kid === kid)) {
          opened.delete(kid)
          publicKeys.delete(kid)
        }
      }
    })().finally(() => { reloading = undefined })
    return reloading
  }

  const publicKeys = new Map<string, KeyObject>()
  const cachedPublicKey = (kid: string): KeyObject | undefined => {
    const key = published.find(candidate => candidate.kid === kid)
    if (key === undefined) return undefined
    let publicKey = publicKeys.get(kid)
    if (publicKey === undefined) {
      publicKey = createPublicKey(key.privateKey)
      publicKeys.set(kid, publicKey)
    }
    return publicKey
  }

  const timer = setInterval(() => { reload().catch(() => { /* the next round retries; the keys held stay valid */ }) }, options.reloadMs)
  timer.unref()

  return {
    signingKey () {
      const at = now()
      // Newest activation first: the first key already active signs. Before any is (a replica
      // clock behind the database's at first start), the earliest one.
      return published.find(key => key.activatesAt <= at) ?? published[published.length - 1] ?? published[0] as PublishedKey
    },
    jwks: () => jwks,
    keySource: {
      getKey (kid) {
        const key = cachedPublicKey(kid)
        if (key !== undefined || now() - lastReloadAt < UNKNOWN_KID_RELOAD_MS) return key
        return reload().then(() => cachedPublicKey(kid), () => undefined)
      },
      hasKey: kid => published.some(key => key.kid === kid)
    },
    reload,
    async rotate (rotation) {
      const result = await rotateSigningKey(sql, { ...rotation, box })
      await reload()
      return result
    },
    close () { clearInterval(timer) }
  }
}

export interface Rotation {
  kid: string
  activatesAt: Date
  /** Keys that stop being published once the last token they signed has expired. */
  retiring: Array<{ kid: string, retiredAt: Date }>
  /** --revoke-old: keys withdrawn at once, and the revocations that tell every guard. */
  revoked: string[]
  revocations: RevocationEntry[]
}

export interface RotationOptions {
  box: SecretBox
  /** KEY_PUBLISH_DELAY: seconds the new key is published before it signs. */
  publishDelaySeconds: number
  /** ACCESS_TOKEN_TTL + TOKEN_LEEWAY: how long a token of the old key may still be presented. */
  tokenLifetimeSeconds: number
  /** Emergency: the new key signs at once, every other key is withdrawn now. */
  revokeOld: boolean
}

/**
 * Rotates the signing key in one transaction: the new key is inserted (published at once, signing
 * after the delay), the old keys are retired (or, in an emergency, withdrawn and revoked), and
 * keys retired earlier are deleted. Every replica follows on its next reload.
 */
async function rotateSigningKey (sql: Sql, options: RotationOptions): Promise<Rotation> {
  const key = await toSigningKey(generateKeyPairSync('ed25519').privateKey)
  const delay = options.revokeOld ? 0 : options.publishDelaySeconds
  const lifetime = options.tokenLifetimeSeconds + CLOCK_MARGIN_SECONDS
  return await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('latchkey-signing-keys'))`
    await tx`DELETE FROM signing_keys WHERE retired_at <= now()`
    const [inserted] = await tx<Array<{ activatesAt: Date }>>`
      INSERT INTO signing_keys (kid, private_key_sealed, activates_at)
      VALUES (${key.kid}, ${sealSigningKey(options.box, key)}, now() + make_interval(secs => ${delay}))
      RETURNING activates_at`
    const activatesAt = inserted?.activatesAt ?? new Date()
    if (options.revokeOld) {
      const withdrawn = await tx<Array<{ kid: string, expiresAt: Date }>>`
        UPDATE signing_keys SET retired_at = now(), revoked_at = now()
        WHERE kid <> ${key.kid} AND revoked_at IS NULL
        RETURNING kid, now() + make_interval(secs => ${lifetime}) AS expires_at`
      for (const row of withdrawn) {
        await tx`INSERT INTO revocations (kind, kid, expires_at) VALUES ('key', ${row.kid}, ${row.expiresAt})`
      }
      return {
        kid: key.kid,
        activatesAt,
        retiring: [],
        revoked: withdrawn.map(row => row.kid),
        revocations: withdrawn.map(row => ({ kind: 'key', kid: row.kid, expiresAt: row.expiresAt.getTime() }))
      }
    }
    const retiring = await tx<Array<{ kid: string, retiredAt: Date }>>`
      UPDATE signing_keys SET retired_at = ${activatesAt}::timestamptz + make_interval(secs => ${lifetime})
      WHERE kid <> ${key.kid} AND retired_at IS NULL AND revoked_at IS NULL
      RETURNING kid, retired_at`
    return { kid: key.kid, activatesAt, retiring, revoked: [], revocations: [] }
  })
}

/**
 * How often a replica reads the table: a quarter of the publish delay, so a new key reaches every
 * replica's JWKS early in it, between 0.25 s and 5 s.
 */
export function keyReloadMs (publishDelaySeconds: number): number {
  return Math.min(5_000, Math.max(250, publishDelaySeconds * 250))
}
