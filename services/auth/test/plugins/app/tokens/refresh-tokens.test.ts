import t from 'tap'
import { randomBytes, randomUUID } from 'node:crypto'
import { createRefreshTokens, hashRefreshToken } from '../../../../src/plugins/app/tokens/refresh-tokens.js'

const secret = randomBytes(32)
const tokens = createRefreshTokens(secret)

t.test('refresh-token codec › a minted token parses back to its session, generation 0, and its SHA-256 hash', async t => {
  const sessionId = randomUUID()
  const minted = tokens.mint(sessionId)
  t.match(minted.token, /^[A-Za-z0-9_-]{92}$/, '69 bytes, unpadded base64url')
  t.same(minted.hash, hashRefreshToken(minted.token))
  const parsed = tokens.parse(minted.token)
  t.equal(parsed?.sessionId, sessionId)
  t.equal(parsed?.generation, 0)
  t.same(parsed?.hash, minted.hash)
  t.not(tokens.mint(sessionId).token, minted.token, 'two mints of one session differ')
})

t.test('refresh-token codec › a successor is deterministic, one generation on, and parses', async t => {
  const minted = tokens.mint(randomUUID())
  const successor = tokens.successorOf(minted)
  t.equal(successor.token, tokens.successorOf(minted).token, 'the same parent always gets the same successor (the grace window relies on it)')
  t.equal(successor.generation, 1)
  t.equal(successor.sessionId, minted.sessionId)
  t.equal(tokens.parse(successor.token)?.generation, 1)
  t.equal(tokens.successorOf(successor).generation, 2)
  t.not(createRefreshTokens(randomBytes(32)).successorOf(minted).token, successor.token, 'another server secret derives another successor')
})

t.test('refresh-token codec › refuses garbage, tampering, other secrets and other spellings (only a token minted here parses)', async t => {
  const minted = tokens.mint(randomUUID())
  const bytes = Buffer.from(minted.token, 'base64url')
  const flipped = (index: number): string => Buffer.from(bytes.map((byte, i) => i === index ? byte ^ 1 : byte)).toString('base64url')
  const refused: Record<string, string> = {
    empty: '',
    'not base64url': `${minted.token.slice(0, -1)}!`,
    'standard base64 with padding': `${minted.token.replaceAll('-', '+').replaceAll('_', '/')}=`,
    'one byte short': bytes.subarray(0, -1).toString('base64url'),
    'one byte long': Buffer.concat([bytes, Buffer.alloc(1)]).toString('base64url'),
    'version changed': flipped(0),
    'session id changed': flipped(5),
    'generation changed': flipped(20),
    'secret changed': flipped(40),
    'tag changed': flipped(68),
    'minted under another server secret': createRefreshTokens(randomBytes(32)).mint(randomUUID()).token
  }
  for (const [name, token] of Object.entries(refused)) t.equal(tokens.parse(token), undefined, name)
  t.equal(tokens.parse(`${minted.token}=`), undefined, 'padding appended')
  t.equal(tokens.parse(` ${minted.token}`), undefined, 'whitespace around')
  t.equal(tokens.parse(minted.token)?.sessionId, minted.sessionId, 'while the token itself still parses')
})
