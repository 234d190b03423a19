import t from 'tap'
import { randomUUID } from 'node:crypto'
import { listenForMetrics } from '@latchkey/fastify-metrics'
import { bearer, build } from '../helper.js'

interface Sample { name: string, labels: Record<string, string>, value: number }

/** The samples of a Prometheus text answer (`name{label="value",...} number`). */
function parse (text: string): Sample[] {
  return text.split('\n').filter(line => line !== '' && !line.startsWith('#')).map(line => {
    const at = line.lastIndexOf(' ')
    const series = line.slice(0, at)
    const brace = series.indexOf('{')
    const labels = Object.fromEntries([...series.matchAll(/(\w+)="([^"]*)"/g)].map(match => [match[1], match[2]]))
    return { name: brace === -1 ? series : series.slice(0, brace), labels, value: Number(line.slice(at + 1)) }
  })
}

function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value
}

const world = await build(t)
const { app } = world
const listener = await listenForMetrics([app], { host: '127.0.0.1', port: 0 })
t.teardown(async () => { await listener.close() })
const scrape = async (): Promise<Sample[]> => parse(await (await fetch(listener.url)).text())

t.test('GET /metrics › answers Prometheus text without a token, with process metrics, on the metrics listener', async t => {
  const response = await fetch(listener.url)
  t.equal(response.status, 200)
  t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
  const samples = parse(await response.text())
  t.type(valueOf(samples, 'process_resident_memory_bytes'), 'number')
  t.equal(samples.find(sample => sample.name.startsWith('latchkey_'))?.labels.service, 'users')
})

t.test('GET /metrics › is not served on the API port: 404 problem+json (ASVS 13.4.5)', async t => {
  const response = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(response.statusCode, 404)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.json<{ code: string }>().code, 'not_found')
})

t.test('GET /metrics › has a latency histogram per route template, not per URL', async t => {
  const caller = await world.account()
  const other = await world.account()
  t.equal((await app.inject({ method: 'GET', url: `/users/${other.id}`, headers: bearer(caller.token) })).statusCode, 200)
  const samples = await scrape()
  t.ok((valueOf(samples, 'latchkey_http_request_duration_seconds_count', { method: 'GET', route: '/users/:id', status_code: '200' }) ?? 0) >= 1)
  t.notOk(samples.some(sample => Object.values(sample.labels).some(value => value.includes(other.id))), 'no id becomes a label')
})

t.test('GET /metrics › exports the revocation view\'s size and age and whether account events are consumed', async t => {
  const before = await scrape()
  const sessionsBefore = valueOf(before, 'latchkey_revocation_view_entries', { kind: 'session' }) ?? -1
  await world.feed.publish([{ kind: 'session', sid: randomUUID(), expiresAt: Date.now() + 60_000 }])
  const deadline = Date.now() + 2000
  let samples = before
  while (Date.now() < deadline) {
    samples = await scrape()
    if ((valueOf(samples, 'latchkey_revocation_view_entries', { kind: 'session' }) ?? 0) > sessionsBefore) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  t.equal(valueOf(samples, 'latchkey_revocation_view_entries', { kind: 'session' }), sessionsBefore + 1, 'a published revocation shows in the view size')
  const age = valueOf(samples, 'latchkey_revocation_view_age_seconds') ?? -1
  t.ok(age >= 0 && age < 10, `the view was confirmed ${age} s ago`)
  t.equal(valueOf(samples, 'latchkey_users_account_events_consuming'), 1)
})
