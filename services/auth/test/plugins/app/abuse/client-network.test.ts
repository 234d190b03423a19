import t from 'tap'
import { clientNetwork } from '../../../../src/plugins/app/abuse/client-network.js'

t.test('client network › an IPv4 address counts alone', async t => {
  t.equal(clientNetwork('203.0.113.7'), '203.0.113.7')
  t.equal(clientNetwork('127.0.0.1'), '127.0.0.1')
})

t.test('client network › an IPv4-mapped IPv6 address counts as its IPv4 address', async t => {
  t.equal(clientNetwork('::ffff:203.0.113.7'), '203.0.113.7')
  t.equal(clientNetwork('::FFFF:198.51.100.1'), '198.51.100.1')
})

t.test('client network › every address of one IPv6 /64 counts as that /64, however it is written', async t => {
  const spellings = [
    '2001:db8:85a3:12::1',
    '2001:0db8:85a3:0012:0000:0000:0000:0001',
    '2001:db8:85a3:12:ffff:ffff:ffff:ffff',
    '2001:DB8:85A3:12::abcd',
    '2001:db8:85a3:12::1%eth0'
  ]
  for (const address of spellings) t.equal(clientNetwork(address), '2001:db8:85a3:12::/64', address)
})

t.test('client network › neighbouring /64s, and compressed leading groups, stay apart', async t => {
  t.equal(clientNetwork('2001:db8:85a3:13::1'), '2001:db8:85a3:13::/64')
  t.equal(clientNetwork('::1'), '0:0:0:0::/64')
  t.equal(clientNetwork('fe80::1'), 'fe80:0:0:0::/64')
  t.equal(clientNetwork('2001:db8::'), '2001:db8:0:0::/64')
  t.not(clientNetwork('2001:db8:1::1'), clientNetwork('2001:db8:2::1'))
})
