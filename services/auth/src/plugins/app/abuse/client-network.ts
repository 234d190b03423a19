/**
 * The network a request comes from, as rate limits count it: the IPv4 address, or the /64 of an
 * IPv6 address (one subscriber usually holds a whole /64, so counting single addresses would let
 * one client rotate through 2^64 of them). An IPv6 client's site, its /48, is counted as well:
 * sites often hold 65,536 /64s, which would otherwise be as many fresh budgets.
 */
import { isIPv6 } from 'node:net'

function expandIpv6 (address: string): string[] {
  const [head = '', tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const missing = 8 - left.length - right.length
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right]
}

/** The IPv6 address's first `groups` groups, or undefined for IPv4 (also IPv4-mapped). */
function ipv6Prefix (ip: string, groups: number): string | undefined {
  if (!isIPv6(ip) || /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return undefined
  const expanded = expandIpv6(ip.split('%')[0] ?? ip)
  return `${expanded.slice(0, groups).map(group => Number.parseInt(group, 16).toString(16)).join(':')}::/${groups * 16}`
}

export function clientNetwork (ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped?.[1] !== undefined) return mapped[1]
  return ipv6Prefix(ip, 4) ?? ip
}

/** The /48 of an IPv6 client; undefined for IPv4, whose address is its whole network. */
export function clientSite (ip: string): string | undefined {
  return ipv6Prefix(ip, 3)
}
