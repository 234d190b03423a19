import t from 'tap'
import { createPrivateKey } from 'node:crypto'
import { createSecretBox } from '../../../../src/plugins/app/secrets/secret-box.js'
import { loadServerSecret } from '../../../../src/plugins/app/tokens/server-secret.js'
import { openSigningKeys } from '../../../../src/plugins/app/tokens/signing-keys.js'
import { bearer, build, registeredUser, type TestAuth } from '../../../helper.js'

function boxOf (auth: TestAuth) {
  return createSecretBox(Buffer.from(auth.config.SECRETS_KEY ?? '', 'base64'))
}

async function dump (auth: TestAuth): Promise<string> {
  const keys = await auth.sql`SELECT * FROM signing_keys`
  const secrets = await auth.sql`SELECT * FROM server_secrets`
  // bytea columns as PostgreSQL's text form shows them in a dump.
  return JSON.stringify([...keys, ...secrets], (_key, value: unknown) => (typeof value === 'object' && value !== null && (value as { type?: string }).type === 'Buffer') ? `\\x${Buffer.from((value as { data: number[] }).data).toString('hex')}` : value)
}

t.test('a dump of signing_keys and server_secrets holds no usable key: no PEM, no raw secret (ASVS 13.3.1, 11.3.2)', async t => {
  const auth = await build(t)
  const box = boxOf(auth)
  const text = await dump(auth)
  const keys = await openSigningKeys(auth.sql, { box, reloadMs: 60_000 })
  t.teardown(() => { keys.close() })
  const current = keys.signingKey()
  const privateJwk = current.privateKey.export({ format: 'jwk' })
  const der = current.privateKey.export({ format: 'der', type: 'pkcs8' })
  const secret = await loadServerSecret(auth.sql, box, 'refresh-token')
  t.notMatch(text, /PRIVATE KEY/, 'no PEM')
  for (const [what, bytes] of [['private key (DER)', der], ['private key (d)', Buffer.from(privateJwk.d ?? '', 'base64url')], ['refresh-token secret', secret]] as const) {
    t.equal(bytes.length > 0, true)
    for (const encoding of ['hex', 'base64', 'base64url'] as const) t.notOk(text.includes(bytes.toString(encoding)), `no ${what} in ${encoding}`)
  }
  t.match(text, new RegExp(`"privateKeySealed":"v1\\.${box.keyId}\\.`), 'the key is an envelope under SECRETS_KEY')
  t.match(text, new RegExp(`"secretSealed":"v1\\.${box.keyId}\\.`), 'so is the secret')

  // Bound to its row: an envelope moved to another name does not open.
  await auth.sql`INSERT INTO server_secrets (name, secret_sealed) SELECT 'moved', secret_sealed FROM server_secrets WHERE name = 'refresh-token'`
  await t.rejects(loadServerSecret(auth.sql, box, 'moved'), 'another row\'s envelope does not open')
})

t.test('an upgraded deployment: clear rows are sealed at start, keeping the key and every session (ASVS 13.3.1)', async t => {
  const auth = await build(t)
  const box = boxOf(auth)
  const user = await registeredUser(auth.app)
  const [{ kid } = { kid: '' }] = await auth.sql<Array<{ kid: string }>>`SELECT kid FROM signing_keys`
  // Put the rows back as an earlier version kept them: in clear.
  const [keyRow] = await auth.sql<Array<{ privateKeySealed: string }>>`SELECT private_key_sealed FROM signing_keys WHERE kid = ${kid}`
  const pem = createPrivateKey({ key: box.open(keyRow?.privateKeySealed ?? '', `signing-key:${kid}`), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString()
  const secret = await loadServerSecret(auth.sql, box, 'refresh-token')
  await auth.sql`UPDATE signing_keys SET private_key_pem = ${pem}, private_key_sealed = NULL`
  await auth.sql`UPDATE server_secrets SET secret = ${secret}, secret_sealed = NULL`

  const upgraded = await auth.buildReplica()
  t.notMatch(await dump(auth), /PRIVATE KEY/, 'sealed at start')
  const [sealed] = await auth.sql<Array<{ clear: number }>>`
    SELECT (SELECT count(*) FROM signing_keys WHERE private_key_pem IS NOT NULL) + (SELECT count(*) FROM server_secrets WHERE secret IS NOT NULL) AS clear`
  t.equal(Number(sealed?.clear), 0, 'no clear column left')
  const jwks = (await upgraded.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>()
  t.same(jwks.keys.map(key => key.kid), [kid], 'the same signing key')
  t.equal((await upgraded.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'its access tokens still verify')
  const refreshed = await upgraded.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
  t.equal(refreshed.statusCode, 200, 'its refresh tokens still refresh: the same secret')
})
