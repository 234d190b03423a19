import t from 'tap'
import type { FastifyInstance } from 'fastify'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, eventually, registeredUser } from '../../../helper.js'

const kidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid
const jwksKids = async (app: FastifyInstance): Promise<string[]> =>
  (await app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>().keys.map(key => key.kid).sort()

t.test('two replicas pick the signing key from the database by time and agree without coordination (ASVS 13.3.4)', async t => {
  const auth = await build(t, { env: { KEY_PUBLISH_DELAY: '1' } })
  const replicas = [auth.app, await auth.buildReplica()]
  const user = await registeredUser(auth.app)
  const oldKid = kidOf(user.tokens.accessToken)
  const lifetime = auth.config.ACCESS_TOKEN_TTL + auth.config.TOKEN_LEEWAY

  const rotation = await auth.app.signingKeys.rotate({ publishDelaySeconds: 1, tokenLifetimeSeconds: lifetime, revokeOld: false })
  t.ok(await eventually(async () => (await jwksKids(replicas[1] as FastifyInstance)).length === 2, 2000), 'the other replica publishes the new key within its reload')
  for (const replica of replicas) t.same(await jwksKids(replica), [oldKid, rotation.kid].sort())

  // Refresh on one replica, check the token on the other, across the switch: never a 401.
  const failures: string[] = []
  const kids: string[] = []
  let refreshToken = user.tokens.refreshToken
  for (let i = 0; Date.now() < rotation.activatesAt.getTime() + 600; i++) {
    const [issuer, checker] = i % 2 === 0 ? replicas : [...replicas].reverse()
    const refreshed = await (issuer as FastifyInstance).inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken } })
    const pair = refreshed.json<TokenPair>()
    refreshToken = pair.refreshToken
    kids.push(kidOf(pair.accessToken))
    for (const token of [pair.accessToken, user.tokens.accessToken]) {
      const status = (await (checker as FastifyInstance).inject({ method: 'GET', url: '/verify', headers: bearer(token) })).statusCode
      if (status !== 200) failures.push(`${status} for kid ${kidOf(token)}`)
    }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  t.same(failures, [], 'every token of either key verified on the other replica')
  t.equal(kids[0], oldKid, 'the old key signed until the activation time')
  t.equal(kids.at(-1), rotation.kid, 'then the new one, on both replicas')

  // Its last token expired: the old key leaves the JWKS, and its cached tokens die with it.
  await auth.sql`UPDATE signing_keys SET retired_at = now() WHERE kid = ${oldKid}`
  for (const replica of replicas) await replica.signingKeys.reload()
  for (const replica of replicas) {
    t.same(await jwksKids(replica), [rotation.kid], 'retired')
    t.equal((await replica.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 401, 'a cached token of a retired key is refused')
  }
})
