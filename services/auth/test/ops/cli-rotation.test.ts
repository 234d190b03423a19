import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { MAX_TOKEN_LEEWAY_SECONDS } from '@latchkey/contracts'
import { skipWithoutRedis } from '@latchkey/test-support'
import { bearer, eventually, registeredUser } from '../helper.js'
import { buildWithCli } from './cli-helper.js'

const kidOf = (token: string): string => (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid

t.test('latchkey-admin rotate-signing-key (ASVS 13.3.4)', { skip: await skipWithoutRedis() }, async t => {
  const auth = await buildWithCli(t, { KEY_PUBLISH_DELAY: '1' })
  const user = await registeredUser(auth.app)
  const oldKid = kidOf(user.tokens.accessToken)

  t.test('publishes a new key now, signing after KEY_PUBLISH_DELAY; the old one retires after its tokens', async t => {
    const { code, stdout, stderr } = await auth.admin(['rotate-signing-key'])
    t.equal(code, 0, stderr)
    const result = JSON.parse(stdout) as { kid: string, activatesAt: string, retiring: Array<{ kid: string, retiredAt: string }>, revoked: string[] }
    t.same(result.retiring.map(key => key.kid), [oldKid])
    t.same(result.revoked, [])
    // Counted with the largest leeway any guard may allow, not this service's own (0 here).
    const lifetimeMs = (auth.config.ACCESS_TOKEN_TTL + MAX_TOKEN_LEEWAY_SECONDS) * 1000
    t.ok(Date.parse(result.retiring[0]?.retiredAt ?? '') >= Date.parse(result.activatesAt) + lifetimeMs, 'retired only once the last token of the old key has expired for every guard')
    t.ok(await eventually(async () => auth.app.signingKeys.jwks().keys.some(key => key.kid === result.kid), 3000), 'the running replica publishes the new key')
    t.equal((await auth.app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'old tokens live on')
  })

  t.test('is refused with JWT_PRIVATE_KEY set, saying the operator rotates that key (exit 1)', async t => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    const { code, stderr } = await auth.admin(['rotate-signing-key'], '', { JWT_PRIVATE_KEY: pem })
    t.equal(code, 1)
    t.match(stderr, /JWT_PRIVATE_KEY is set.*rotate it yourself/)
    t.notMatch(stderr, /PRIVATE KEY-----/, 'the key itself is not shown')
  })
})
