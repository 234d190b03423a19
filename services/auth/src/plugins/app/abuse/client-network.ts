/**
 * The network a request comes from, as rate limits count it: the IPv4 address, or the /64 of an
 * IPv6 address (one subscriber usually holds a whole /64, so counting single addresses would let
 * one client rotate through 2^64 of them).
 */
import { isIPv6 } from 'node:net'

function expandIpv6 (address: string): string[] {
  const [head = '', tail = ''] = address.split('::')
  const left = head === '' ? [] : head.split(':')
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : []
  const missing = 8 - left.length - right.length
  return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right]
}

export function clientNetwork (ip: string): string {
  if (!isIPv6(ip)) return ip
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  if (mapped?.[1] !== undefined) return mapped[1]
  const groups = expandIpv6(ip.split('%')[0] ?? ip)
  return `${groups.slice(0, 4).map(group => Number.parseInt(group, 16).toString(16)).join(':')}::/64`
}
