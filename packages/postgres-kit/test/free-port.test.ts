/**
 * freePort answers ports below the kernel's ephemeral range: a port inside it may be taken by any
 * outgoing connection's local end before the caller listens (EADDRINUSE under load).
 */
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { freePort } from '../src/index.js'

t.test('freePort answers listenable ports below the ephemeral range', async t => {
  const [low] = (await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/).map(Number)
  const ports = await Promise.all(Array.from({ length: 20 }, async () => await freePort()))
  for (const port of ports) t.ok(port >= 10_000 && port < (low ?? 32768), `${port} is below the ephemeral range (from ${String(low)})`)
  const port = ports[0] ?? 0
  const server = createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve) })
  t.teardown(() => { server.close() })
  t.pass(`port ${port} could be listened on`)
})
