/**
 * Differential test of the hand-written verifier: random tokens, and random mutations of genuine
 * ones, go to the guard's verifier and to `jose` (the reference JOSE implementation), and both
 * must reach the same verdict: accepted, expired, or refused. jose checks the signature, the
 * algorithm, the JSON and the registered claims; the access-token profile's own rules, which jose
 * leaves to its caller, are written out here independently of the guard's code.
 */
import t from 'tap'
import fc from 'fast-check'
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose'
import { createAccessTokenVerifier, createStaticKeySource, RevocationView } from '../src/index.js'
import { createInProcessRevocationStore } from '@latchkey/revocation-publisher'
import { AUDIENCE, createKey, ISSUER, rawToken, startProducer, type TestKey } from './helper.js'

type Verdict = 'accepted' | 'expired' | 'refused'

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** The profile's rules beyond what jose checks: RFC 9068 claims shapes, the typ spelling, no self-keying headers, strict encoding. */
function profileAllows (token: string, header: ProtectedHeaderParameters, payload: JWTPayload): boolean {
  if (token.length > 4096) return false
  if (!token.split('.').every(part => /^[A-Za-z0-9_-]+$/.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part)) return false
  if (header.typ !== 'at+jwt' && header.typ !== 'application/at+jwt') return false
  if (typeof header.kid !== 'string' || header.kid.length === 0 || header.kid.length > 128) return false
  if (['crit', 'jku', 'x5u', 'x5c', 'jwk'].some(name => Object.hasOwn(header, name))) return false
  const { sub, sid, jti, roles, iat, exp, nbf } = payload as Record<string, unknown>
  if (typeof sub !== 'string' || !UUID.test(sub) || typeof sid !== 'string' || !UUID.test(sid)) return false
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) return false
  if (!Array.isArray(roles) || !roles.every(role => typeof role === 'string')) return false
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return false
  return nbf === undefined || Number.isSafeInteger(nbf)
}

async function joseVerdict (token: string, key: TestKey, nowMs: number): Promise<Verdict> {
  const keys = createLocalJWKSet({ keys: [key.jwk] })
  const options = { algorithms: ['EdDSA'], issuer: ISSUER, audience: AUDIENCE, currentDate: new Date(nowMs), requiredClaims: ['exp', 'iat', 'sub', 'jti'] }
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys, options)
    return profileAllows(token, protectedHeader, payload) ? 'accepted' : 'refused'
  } catch (error) {
    // jose checks exp last, so an expired token passed every other check jose makes.
    const payload = (error as { code?: string, payload?: JWTPayload }).payload
    if ((error as { code?: string }).code !== 'ERR_JWT_EXPIRED' || payload === undefined) return 'refused'
    return profileAllows(token, decodeProtectedHeader(token), payload) ? 'expired' : 'refused'
  }
}

t.test('differential › the guard and jose agree on random and mutated tokens', async t => {
  const key = await createKey()
  const other = await createKey()
  const feed = createInProcessRevocationStore()
  const view = new RevocationView(feed)
  await view.start()
  t.teardown(() => view.close())
  startProducer(t, feed)
  await view.whenFresh(2_000)
  const nowMs = Date.UTC(2026, 10, 29, 12, 0, 0)
  const nowS = nowMs / 1000
  // jose has no lifetime bound: keep ours above every generated exp - iat (at most 660 s), so the two still agree.
  const verifier = createAccessTokenVerifier({ keys: createStaticKeySource({ keys: [key.jwk] }), issuer: ISSUER, audience: AUDIENCE, revocations: view, now: () => nowMs, cacheSize: 0, maxLifetimeSeconds: 3600 })

  async function guardVerdict (token: string): Promise<Verdict> {
    const check = await verifier.check(token)
    if (check.ok) return 'accepted'
    if (check.reason === 'expired') return 'expired'
    if (check.reason === 'invalid') return 'refused'
    throw new Error(`unexpected verdict ${check.reason}`)
  }

  // Each field is mostly right and sometimes wrong in one of the ways the catalogue knows, so
  // the runs cover acceptance and expiry as well as every single-rule refusal.
  const mostly = <T>(good: fc.Arbitrary<T>, ...bad: unknown[]): fc.Arbitrary<unknown> =>
    fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: fc.constantFrom(...bad) })
  const uuid = fc.uuid({ version: 4 })
  const header = fc.record({
    alg: mostly(fc.constant('EdDSA'), 'none', 'HS256', 'Ed25519', 'eddsa', undefined),
    typ: mostly(fc.constantFrom('at+jwt', 'application/at+jwt'), 'JWT', 'AT+JWT', 'at+jwt ', undefined, 1),
    kid: mostly(fc.constant(key.kid), other.kid, '', 'k'.repeat(129), undefined, 7),
    extra: mostly(fc.constant({}), { crit: ['exp'] }, { crit: ['b64'], b64: true }, { jku: 'http://127.0.0.1:1/' }, { jwk: key.jwk }, { x5c: [] }, { x5u: 'http://127.0.0.1:1/' }, { cty: 'JWT' })
  }).map(({ extra, ...fields }) => ({ ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)), ...(extra as object) }))
  const payload = fc.record({
    iss: mostly(fc.constant(ISSUER), `${ISSUER}/`, 'http://evil.example', undefined),
    aud: mostly(fc.constantFrom(AUDIENCE, [AUDIENCE, 'x']), ['x'], 'x', undefined),
    sub: mostly(uuid, 'admin', 1, undefined),
    sid: mostly(uuid, 'x', null, undefined),
    jti: mostly(uuid, '', 'j'.repeat(257), 3, undefined),
    roles: mostly(fc.constantFrom(['user'], ['user', 'admin'], []), 'admin', [1], undefined),
    iat: mostly(fc.constant(nowS - 60), nowS - 0.5, String(nowS), undefined),
    exp: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(nowS + 600, nowS + 1) }, { weight: 4, arbitrary: fc.constantFrom(nowS, nowS - 1, nowS - 3600) },
      { weight: 1, arbitrary: fc.constantFrom(nowS + 0.5, String(nowS + 600), undefined) }),
    nbf: mostly(fc.constant(undefined), nowS - 10, nowS, nowS + 1, nowS + 60, 1.5)
  }).map(fields => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)))
  const signer = fc.oneof({ weight: 8, arbitrary: fc.constant<TestKey | undefined>(key) }, { weight: 1, arbitrary: fc.constantFrom<TestKey | undefined>(other, undefined) })
  const built = fc.tuple(header, payload, signer).map(([h, p, s]) => rawToken(h, p, s?.privateKey))

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), to: fc.constantFrom(...'Aa0-_.=+/ x'.split('')) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), to: fc.constantFrom(...'Aa0-_.='.split('')) }),
    fc.record({ kind: fc.constant('swap parts' as const), at: fc.nat() })
  )
  function mutate (token: string, change: { kind: 'flip' | 'delete' | 'insert' | 'swap parts', at: number, to?: string }): string {
    const at = change.at % Math.max(1, token.length)
    switch (change.kind) {
      case 'flip': return token.slice(0, at) + (change.to ?? 'A') + token.slice(at + 1)
      case 'delete': return token.slice(0, at) + token.slice(at + 1)
      case 'insert': return token.slice(0, at) + (change.to ?? 'A') + token.slice(at)
      default: {
        const parts = token.split('.')
        return [parts[1], parts[0], ...parts.slice(2)].join('.')
      }
    }
  }
  const mutated = fc.tuple(built, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([token, changes]) => changes.reduce(mutate, token))
  const random = fc.oneof(fc.string({ maxLength: 300 }), fc.array(fc.base64String({ maxLength: 120 }), { minLength: 1, maxLength: 4 }).map(parts => parts.join('.').replaceAll('+', '-').replaceAll('/', '_')))

  const verdicts = { accepted: 0, expired: 0, refused: 0 }
  const seed = Number(process.env.DIFFERENTIAL_SEED ?? Date.now() % 2 ** 31)
  t.comment(`fast-check seed ${seed} (DIFFERENTIAL_SEED=${seed} replays this run)`)
  await fc.assert(fc.asyncProperty(fc.oneof(built, built, mutated, random), async token => {
    const expected = await joseVerdict(token, key, nowMs)
    const actual = await guardVerdict(token)
    verdicts[actual]++
    if (actual !== expected) throw new Error(`guard says ${actual}, jose says ${expected}: ${token}`)
  }), { numRuns: 1500, seed })
  t.ok(verdicts.accepted > 20, `the generators reach acceptance (${verdicts.accepted} accepted)`)
  t.ok(verdicts.expired > 5, `and expiry (${verdicts.expired} expired)`)
  t.ok(verdicts.refused > 500, `and refusal (${verdicts.refused} refused)`)
})
