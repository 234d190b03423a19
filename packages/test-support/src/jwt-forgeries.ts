/**
 * The forged-token catalogue both services' attack tests run (jwt_tool, RFC 8725, ASVS V9), the
 * signing helpers it is built from, and a listener that counts jku / x5u probes.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { createServer, type Server } from 'node:http'

export function b64url (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

export function decodePart (token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>
}

export function signEd25519 (header: object, payload: object, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`
}

export function signHs256 (header: object, payload: object, secret: Buffer | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

export function attackerKey (): KeyObject {
  return generateKeyPairSync('ed25519').privateKey
}

/** A local HTTP server that counts every request it gets: the target of jku / x5u probes. */
export async function listener (teardown: (close: () => Promise<void>) => void): Promise<{ url: string, requests: () => number }> {
  let count = 0
  const server: Server = createServer((_request, response) => {
    count++
    response.setHeader('content-type', 'application/json')
    response.end('{"keys":[]}')
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  teardown(async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) })
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return { url: `http://127.0.0.1:${port}`, requests: () => count }
}

export interface Forgery {
  batch: string
  name: string
  token: string
  /** The code expected; token_invalid unless said otherwise. */
  code?: string
}

export interface CatalogueInput {
  /** A genuine token of the victim (the persistence check uses it afterwards). */
  genuine: string
  /** The trusted public key, as the JWKS publishes it. */
  publicKey: KeyObject
  /** Signs with the trusted key under its kid: tokens that break exactly one other rule. */
  signTrusted: (header: Record<string, unknown>, payload: Record<string, unknown>) => string
  /** Base URL of the jku / x5u listener. */
  listenerUrl: string
}

function rawParts (token: string): [string, string, string] {
  const [header = '', payload = '', signature = ''] = token.split('.')
  return [header, payload, signature]
}

function hmac (alg: 'sha256' | 'sha384' | 'sha512', input: string, secret: Buffer | string): string {
  return createHmac(alg, secret).update(input).digest('base64url')
}

/** The last base64url character of a part with unused low bits, changed so that it decodes to the same bytes. */
function alternateTrailingBits (part: string): string | undefined {
  const unusedBits = (part.length * 6) % 8
  if (unusedBits === 0) return undefined
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = alphabet.indexOf(part.at(-1) ?? 'A')
  return part.slice(0, -1) + (alphabet[last ^ 1] ?? 'A')
}

/**
 * The jwt_tool catalogue (-X a/n/k/i/s/b, the kid injections, the -M pb playbook) plus the claim
 * rules: each forgery names the batch it belongs to, for a persistence check after each batch.
 */
export function forgedTokens (input: CatalogueInput): Forgery[] {
  const { genuine, publicKey, signTrusted, listenerUrl } = input
  const [genuineHeader, genuinePayload, genuineSignature] = rawParts(genuine)
  const header = decodePart(genuine, 0)
  const claims = decodePart(genuine, 1)
  const kid = String(header.kid)
  const admin = { ...claims, roles: ['user', 'admin'] }
  const attacker = generateKeyPairSync('ed25519')
  const attackerJwk = attacker.publicKey.export({ format: 'jwk' })
  const list: Forgery[] = []
  const add = (batch: string, name: string, token: string, code?: string): void => {
    list.push(code === undefined ? { batch, name, token } : { batch, name, token, code })
  }

  // alg none, four casings, empty and original signature (CVE-2015-2951).
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsigned = `${b64url({ ...header, alg })}.${b64url(admin)}`
    add('alg none', `${alg}, empty signature`, `${unsigned}.`)
    add('alg none', `${alg}, original signature`, `${unsigned}.${genuineSignature}`)
    add('alg none', `${alg}, genuine payload, original signature`, `${b64url({ ...header, alg })}.${genuinePayload}.${genuineSignature}`)
  }

  // Null signature (CVE-2020-28042): the signature part empty or missing.
  add('null signature', 'genuine header and payload, empty signature', `${genuineHeader}.${genuinePayload}.`)
  add('null signature', 'admin payload, empty signature', `${genuineHeader}.${b64url(admin)}.`)
  add('null signature', 'no signature part at all', `${genuineHeader}.${genuinePayload}`)
  add('null signature', '64 zero bytes', `${genuineHeader}.${b64url(admin)}.${Buffer.alloc(64).toString('base64url')}`)

  // HS256 key confusion with the published key (CVE-2016-10555), and blank-password HMAC (CVE-2019-20933).
  const pem = publicKey.export({ format: 'pem', type: 'spki' })
  const der = publicKey.export({ format: 'der', type: 'spki' })
  const x = String(publicKey.export({ format: 'jwk' }).x)
  const secrets: Array<[string, Buffer | string]> = [
    ['PEM', pem], ['PEM without newline', pem.toString().trim()], ['DER', der], ['raw x bytes', Buffer.from(x, 'base64url')],
    ['x as text', x], ['JWK JSON', JSON.stringify(publicKey.export({ format: 'jwk' }))]
  ]
  for (const [alg, hash] of [['HS256', 'sha256'], ['HS384', 'sha384'], ['HS512', 'sha512']] as const) {
    const signingInput = `${b64url({ ...header, alg })}.${b64url(admin)}`
    for (const [form, secret] of secrets) add('key confusion', `${alg} with the public key as ${form}`, `${signingInput}.${hmac(hash, signingInput, secret)}`)
    add('blank password', `${alg} with an empty secret`, `${signingInput}.${hmac(hash, signingInput, '')}`)
  }

  // Embedded jwk (CVE-2018-0114): the token brings its own key.
  for (const withKid of [kid, 'attacker']) {
    add('embedded jwk', `attacker jwk, kid ${withKid}`, signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid: withKid, jwk: attackerJwk }, admin, attacker.privateKey))
  }
  add('embedded jwk', 'jwk of the trusted key itself, trusted signature', signTrusted({ jwk: publicKey.export({ format: 'jwk' }) }, claims))

  // jku / x5u pointing at a server the test runs (external interaction probes).
  for (const [param, path] of [['jku', '/jwks.json'], ['x5u', '/cert.pem']] as const) {
    add(param, `${param} to the listener, attacker key, attacker kid`, signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid: 'attacker', [param]: listenerUrl + path }, admin, attacker.privateKey))
    add(param, `${param} to the listener, attacker key, trusted kid`, signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid, [param]: listenerUrl + path }, admin, attacker.privateKey))
    add(param, `${param} to the listener, trusted signature`, signTrusted({ [param]: listenerUrl + path }, claims))
  }
  add('x5c', 'x5c chain in the header', signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid, x5c: [der.toString('base64')] }, admin, attacker.privateKey))

  // kid injections: path traversal, blank, SQL, command (jwt_tool -I -hc kid).
  const kids = ['../../dev/null', '/dev/null', '/invalid_path', '../../../../../../etc/passwd', '', ' ', "' OR '1'='1", "x' UNION SELECT '1' --",
    '$(sleep 10)', '`sleep 10`', '|sleep 10', '; curl http://127.0.0.1:1/ #', '__proto__', 'constructor', 'k'.repeat(200)]
  for (const injected of kids) {
    const label = JSON.stringify(injected.slice(0, 30))
    const hsInput = `${b64url({ alg: 'HS256', typ: 'at+jwt', kid: injected })}.${b64url(admin)}`
    add('kid injection', `kid ${label}, HS256 with an empty secret`, `${hsInput}.${hmac('sha256', hsInput, '')}`)
    add('kid injection', `kid ${label}, HS256 with secret "1"`, `${hsInput}.${hmac('sha256', hsInput, '1')}`)
    add('kid injection', `kid ${label}, attacker Ed25519`, signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid: injected }, admin, attacker.privateKey))
  }
  add('kid injection', 'kid missing', signEd25519({ alg: 'EdDSA', typ: 'at+jwt' }, admin, attacker.privateKey))
  add('kid injection', 'kid a number', signEd25519({ alg: 'EdDSA', typ: 'at+jwt', kid: 1 }, admin, attacker.privateKey))

  // typ (RFC 8725 §3.11, RFC 9068 §2.1), crit (RFC 7515 §4.1.11), alg Ed25519 (RFC 9864): trusted signature.
  for (const typ of ['JWT', 'jwt', 'at+JWT', 'AT+JWT', 'At+Jwt', 'application/jwt', 'application/at+JWT', 'at+jwt ', 'rt+jwt', 'JOSE', '']) {
    add('typ', `typ ${JSON.stringify(typ)}`, signTrusted({ typ }, claims))
  }
  add('typ', 'typ missing', signTrusted({ typ: undefined }, claims))
  add('typ', 'typ a number', signTrusted({ typ: 1 }, claims))
  for (const crit of [['exp'], ['b64'], ['http://evil.example/ext'], []]) add('crit', `crit ${JSON.stringify(crit)}`, signTrusted({ crit, b64: true }, claims))
  add('alg', 'alg Ed25519 (fully specified, RFC 9864): not on the allow-list', signTrusted({ alg: 'Ed25519' }, claims))
  add('alg', 'alg eddsa (case variant)', signTrusted({ alg: 'eddsa' }, claims))
  add('alg', 'alg ES256 with an Ed25519 signature', signTrusted({ alg: 'ES256' }, claims))
  add('alg', 'alg missing', signTrusted({ alg: undefined }, claims))

  // Size: a 10 KB token with a valid signature.
  const big = signTrusted({}, { ...claims, pad: 'x'.repeat(10_240) })
  add('size', `10 KB token (${big.length} characters)`, big)

  // Tampering under the original signature.
  add('tampering', 'roles raised to admin', `${genuineHeader}.${b64url(admin)}.${genuineSignature}`)
  add('tampering', 'sub changed', `${genuineHeader}.${b64url({ ...claims, sub: '00000000-0000-4000-8000-000000000000' })}.${genuineSignature}`)
  add('tampering', 'exp extended', `${genuineHeader}.${b64url({ ...claims, exp: Number(claims.exp) + 86_400 })}.${genuineSignature}`)
  add('tampering', 'header kid changed', `${b64url({ ...header, kid: `${kid}x` })}.${genuinePayload}.${genuineSignature}`)
  add('tampering', 'one signature bit flipped', `${genuineHeader}.${genuinePayload}.${Buffer.from(Buffer.from(genuineSignature, 'base64url').map((byte, i) => i === 10 ? byte ^ 1 : byte)).toString('base64url')}`)

  // Re-encodings of the genuine token: the same bytes written another way (RFC 8725bis, JWT cheat sheet).
  const padded = (part: string): string => part + '='.repeat((4 - part.length % 4) % 4)
  add('re-encoding', 'padding on every part', `${padded(genuineHeader)}.${padded(genuinePayload)}.${padded(genuineSignature)}`)
  add('re-encoding', 'padding on the signature', `${genuineHeader}.${genuinePayload}.${genuineSignature}==`)
  const alternate = alternateTrailingBits(genuineSignature)
  if (alternate !== undefined) add('re-encoding', 'signature with alternate trailing bits', `${genuineHeader}.${genuinePayload}.${alternate}`)
  const alternatePayload = alternateTrailingBits(genuinePayload)
  if (alternatePayload !== undefined) add('re-encoding', 'payload with alternate trailing bits', `${genuineHeader}.${alternatePayload}.${genuineSignature}`)
  const standard = (part: string): string => Buffer.from(part, 'base64url').toString('base64').replace(/=+$/, '')
  // Only a different spelling is a forgery: a token with no '-' or '_' reads the same in both alphabets.
  const standardToken = `${standard(genuineHeader)}.${standard(genuinePayload)}.${standard(genuineSignature)}`
  if (standardToken !== genuine) add('re-encoding', 'standard base64 alphabet', standardToken)
  add('re-encoding', 'whitespace inside the signature', `${genuineHeader}.${genuinePayload}.${genuineSignature.slice(0, 20)} ${genuineSignature.slice(20)}`)
  add('re-encoding', 'JSON serialization instead of compact', JSON.stringify({ protected: genuineHeader, payload: genuinePayload, signature: genuineSignature }))
  add('re-encoding', 'a fourth part appended', `${genuine}.${genuineSignature}`)
  const reordered = signTrusted({}, claims).split('.')[0] ?? ''
  if (reordered !== genuineHeader) add('re-encoding', 'header re-serialized, original signature', `${reordered}.${genuinePayload}.${genuineSignature}`)

  // Claims rules with a trusted signature (ASVS 9.2.1, 9.2.3, RFC 8725 §3.8-3.9).
  const now = Math.floor(Date.now() / 1000)
  add('claims', 'expired a second ago', signTrusted({}, { ...claims, iat: now - 100, exp: now - 1 }), 'token_expired')
  add('claims', 'nbf an hour ahead', signTrusted({}, { ...claims, nbf: now + 3600 }))
  add('claims', 'wrong issuer', signTrusted({}, { ...claims, iss: 'http://evil.example' }))
  add('claims', 'issuer with a trailing slash', signTrusted({}, { ...claims, iss: `${String(claims.iss)}/` }))
  add('claims', 'issuer missing', signTrusted({}, { ...claims, iss: undefined }))
  add('claims', 'wrong audience', signTrusted({}, { ...claims, aud: 'someone-else' }))
  add('claims', 'audience list without ours', signTrusted({}, { ...claims, aud: ['someone-else', 'x'] }))
  add('claims', 'audience missing', signTrusted({}, { ...claims, aud: undefined }))
  for (const [field, value] of [['sub', 'admin'], ['sub', "' OR '1'='1"], ['sub', 1], ['sid', 'not-a-uuid'], ['sid', null], ['sub', undefined]] as const) {
    add('claims', `${field} ${(JSON.stringify(value) as string | undefined) ?? 'missing'}`, signTrusted({}, { ...claims, [field]: value }))
  }
  add('claims', 'exp missing', signTrusted({}, { ...claims, exp: undefined }))
  add('claims', 'exp a string', signTrusted({}, { ...claims, exp: String(now + 600) }))
  add('claims', 'roles a string', signTrusted({}, { ...claims, roles: 'admin' }))
  add('claims', 'payload an array', signTrusted({}, [claims] as unknown as Record<string, unknown>))

  // Lifetime bounds with a trusted signature (ASVS 9.2.1): a stolen signing key, or a bug in the
  // issuer, must not mint tokens that outlive their revocation entries. The genuine token has the
  // longest lifetime the service allows, and the suites run with no leeway.
  const lifetime = Number(claims.exp) - Number(claims.iat)
  add('lifetime', 'exp ten years after iat', signTrusted({}, { ...claims, iat: now, exp: now + 10 * 365 * 86_400 }))
  add('lifetime', 'lifetime one second longer than the genuine token\'s', signTrusted({}, { ...claims, exp: Number(claims.exp) + 1 }))
  add('lifetime', 'iat an hour ahead, ordinary lifetime', signTrusted({}, { ...claims, iat: now + 3600, exp: now + 3600 + lifetime }))
  add('lifetime', 'iat ten years ahead', signTrusted({}, { ...claims, iat: now + 10 * 365 * 86_400, exp: now + 10 * 365 * 86_400 + lifetime }))
  return list
}

/** Signs with a trusted key: header fields given as undefined are removed. */
export function trustedSigner (kid: string, privateKey: KeyObject): CatalogueInput['signTrusted'] {
  return (header, payload) => {
    const merged: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid, ...header }
    const fullHeader = Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined))
    const fullPayload = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined))
    return signEd25519(fullHeader, fullPayload, privateKey)
  }
}
