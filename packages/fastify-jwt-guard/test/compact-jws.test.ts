import t from 'tap'
import { generateKeyPairSync, sign } from 'node:crypto'
import { MAX_TOKEN_LENGTH, parseCompactJws } from '../src/compact-jws.js'

const { privateKey } = generateKeyPairSync('ed25519')
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const HEADER = { alg: 'EdDSA', typ: 'at+jwt', kid: 'key-1' }

function token (header: Record<string, unknown> = HEADER, payload: unknown = { sub: 'x' }): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`
}

t.test('compact JWS › splits a well-formed access token into kid, signing input, payload and signature', async t => {
  const compact = token()
  const parsed = parseCompactJws(compact)
  if (typeof parsed === 'string') throw new Error(parsed)
  t.equal(parsed.kid, 'key-1')
  t.equal(parsed.signingInput, compact.slice(0, compact.lastIndexOf('.')))
  t.same(JSON.parse(parsed.payload.toString()), { sub: 'x' })
  t.equal(parsed.signature.length, 64)
  t.type(parseCompactJws(token({ ...HEADER, typ: 'application/at+jwt' })), 'object', 'the media-type spelling of typ is the same type')
})

t.test('compact JWS › refuses, with a reason, every shape the access-token rules exclude (RFC 8725 §3.1, §3.10, §3.11)', async t => {
  const good = token()
  const [h = '', p = '', s = ''] = good.split('.')
  const cases: Array<[string, string, RegExp]> = [
    ['over the size limit', `${good}${'A'.repeat(MAX_TOKEN_LENGTH)}`, /too long/],
    ['two parts', `${h}.${p}`, /three/],
    ['four parts', `${good}.${s}`, /three/],
    ['padding', `${h}.${p}.${s}==`, /base64url/],
    ['standard alphabet', `${h}.${p}.${s.replaceAll('-', '+').replaceAll('_', '/')}${s.includes('-') || s.includes('_') ? '' : '+'}`, /base64url/],
    ['an empty signature', `${h}.${p}.`, /base64url/],
    ['a header that is not JSON', `${b64('not json')}.${p}.${s}`, /JSON object/],
    ['a header that is an array', `${b64([HEADER])}.${p}.${s}`, /JSON object/],
    ['alg none', token({ ...HEADER, alg: 'none' }), /alg/],
    ['alg HS256', token({ ...HEADER, alg: 'HS256' }), /alg/],
    ['typ JWT', token({ ...HEADER, typ: 'JWT' }), /typ/],
    ['typ missing', token({ alg: 'EdDSA', kid: 'key-1' }), /typ/],
    ['kid missing', token({ alg: 'EdDSA', typ: 'at+jwt' }), /kid/],
    ['kid empty', token({ ...HEADER, kid: '' }), /kid/],
    ['kid too long', token({ ...HEADER, kid: 'k'.repeat(129) }), /kid/],
    ['kid a number', token({ ...HEADER, kid: 7 }), /kid/],
    ['a short signature', `${h}.${p}.${Buffer.alloc(32).toString('base64url')}`, /signature/]
  ]
  for (const name of ['crit', 'jku', 'x5u', 'x5c', 'jwk']) cases.push([`header ${name}`, token({ ...HEADER, [name]: 'x' }), new RegExp(name)])
  for (const [name, compact, reason] of cases) {
    const parsed = parseCompactJws(compact)
    t.type(parsed, 'string', name)
    t.match(parsed, reason, name)
    if (typeof parsed === 'string') t.notOk(parsed.includes(s), `${name}: the reason does not contain the token`)
  }
})

t.test('compact JWS › a part with non-zero unused trailing bits is another spelling of the same bytes, and refused', async t => {
  const [h = '', p = '', s = ''] = token().split('.')
  // 64 signature bytes take 86 characters, the last carrying 4 unused bits.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const respelled = s.slice(0, -1) + (alphabet[alphabet.indexOf(s.at(-1) ?? 'A') ^ 1] ?? 'A')
  t.ok(Buffer.from(respelled, 'base64url').equals(Buffer.from(s, 'base64url')), 'same bytes')
  t.match(parseCompactJws(`${h}.${p}.${respelled}`), /base64url/)
})
