import t from 'tap'
import { accountMember, parseAccountMember, parseRevocationEntry, parseRevocationMessage, revocationKeys } from '../src/index.js'

t.test('revocation entry › exactly a session or an account entry, nothing else off the wire', async t => {
  t.same(parseRevocationEntry({ kind: 'session', sid: 's', expiresAt: 1, extra: true }), { kind: 'session', sid: 's', expiresAt: 1 }, 'unknown members dropped')
  t.same(parseRevocationEntry({ kind: 'account', sub: 'a', minVersion: 0, expiresAt: 2 }), { kind: 'account', sub: 'a', minVersion: 0, expiresAt: 2 })
  for (const value of [null, 'session', { kind: 'session', sid: '', expiresAt: 1 }, { kind: 'session', sid: 'x'.repeat(129), expiresAt: 1 },
    { kind: 'session', sid: 's', expiresAt: -1 }, { kind: 'session', sid: 's', expiresAt: 1.5 }, { kind: 'account', sub: 'a', minVersion: -1, expiresAt: 1 },
    { kind: 'account', sub: 'a', expiresAt: 1 }, { kind: 'other', sid: 's', expiresAt: 1 }]) {
    t.equal(parseRevocationEntry(value), undefined, JSON.stringify(value))
  }
})

t.test('revocation message › an entry with its seq, or a heartbeat; anything else is ignored', async t => {
  const entry = { kind: 'session', sid: 's', expiresAt: 1 }
  t.same(parseRevocationMessage(JSON.stringify({ type: 'entry', seq: 3, entry })), { type: 'entry', seq: 3, entry })
  t.same(parseRevocationMessage(JSON.stringify({ type: 'heartbeat', epoch: 'e', seq: 0 })), { type: 'heartbeat', epoch: 'e', seq: 0 })
  for (const raw of ['not json', 'null', '3', JSON.stringify({ type: 'entry', seq: -1, entry }), JSON.stringify({ type: 'entry', seq: 1, entry: {} }),
    JSON.stringify({ type: 'heartbeat', epoch: '', seq: 1 }), JSON.stringify({ type: 'heartbeat', epoch: 'e'.repeat(65), seq: 1 }), JSON.stringify({ type: 'other', seq: 1 })]) {
    t.equal(parseRevocationMessage(raw), undefined, raw)
  }
})

t.test('revocation store layout › every key under the prefix (deploy/redis/latchkey.acl names them); account members split at the last colon', async t => {
  t.same(revocationKeys('latchkey:'), {
    sessions: 'latchkey:revoked:sessions',
    accounts: 'latchkey:revoked:account-versions',
    seeded: 'latchkey:revoked:seeded',
    seq: 'latchkey:revoked:seq',
    channel: 'latchkey:revocations'
  })
  t.same(revocationKeys('latchkey:', part => `{${part}}`), {
    sessions: 'latchkey:{revoked}:sessions',
    accounts: 'latchkey:{revoked}:account-versions',
    seeded: 'latchkey:{revoked}:seeded',
    seq: 'latchkey:{revoked}:seq',
    channel: 'latchkey:revocations'
  }, 'in Redis Cluster the store keys share one hash tag, so its scripts find them in one slot')
  t.same(parseAccountMember(accountMember('a:b', 7)), { sub: 'a:b', minVersion: 7 })
  t.equal(parseAccountMember('no-colon'), undefined)
  t.equal(parseAccountMember(':7'), undefined)
  t.equal(parseAccountMember('a:x'), undefined)
})
