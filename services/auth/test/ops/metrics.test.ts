import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { listenForMetrics } from '@latchkey/fastify-metrics'
import { bearer, build, eventually, logIn, problemOf, registeredUser, strongPassword } from '../helper.js'

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

/** The value of the one sample with this name and (at least) these labels; undefined if none. */
function valueOf (samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  return samples.find(sample => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))?.value
}

t.test('GET /metrics (the metrics listener)', async t => {
  // Eight log-ins of one account at once are held back like a guessing burst under the default limit.
  const { app, buildReplica } = await build(t, { env: { REFRESH_REUSE_GRACE: '0', LOGIN_FAILURES_MAX: '100' } })
  const listener = await listenForMetrics([app], { host: '127.0.0.1', port: 0 })
  t.teardown(async () => { await listener.close() })
  const scrape = async (instance?: FastifyInstance): Promise<Sample[]> => {
    let url = listener.url
    if (instance !== undefined) {
      const own = await listenForMetrics([instance], { host: '127.0.0.1', port: 0 })
      t.teardown(async () => { await own.close() })
      url = own.url
    }
    const response = await fetch(url)
    t.equal(response.status, 200)
    return parse(await response.text())
  }

  t.test('answers Prometheus text without a token, with process metrics, on its own port', async t => {
    t.not(listener.port, 0, 'port 0 picks a free port, which the listener reports')
    const response = await fetch(listener.url)
    t.equal(response.status, 200)
    t.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
    t.equal(response.headers.get('cache-control'), 'no-store')
    const samples = parse(await response.text())
    t.type(valueOf(samples, 'process_cpu_user_seconds_total'), 'number', 'process CPU')
    t.type(valueOf(samples, 'nodejs_eventloop_lag_seconds'), 'number', 'event-loop lag')
    const elsewhere = await fetch(new URL('/health/ready', listener.url))
    t.equal(elsewhere.status, 404, 'serves nothing else')
    t.match(elsewhere.headers.get('content-type'), /^application\/problem\+json/)
  })

  t.test('is not served on the API port: 404 problem+json (ASVS 13.4.5)', async t => {
    const response = await app.inject({ method: 'GET', url: '/metrics' })
    t.equal(response.statusCode, 404)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    t.equal(problemOf(response).code, 'not_found')
  })

  t.test('counts log-in successes and failures, refreshes, reuse detections and revocations', async t => {
    const before = await scrape()
    const user = await registeredUser(app)
    const failed = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: `${strongPassword}!` } })
    t.equal(failed.statusCode, 401)
    const refreshed = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(refreshed.statusCode, 200)
    await new Promise(resolve => setTimeout(resolve, 20))
    const reused = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(reused.json<{ code: string }>().code, 'refresh_token_reused')
    const second = await logIn(app, user.email)
    const loggedOut = await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(second.accessToken) })
    t.equal(loggedOut.statusCode, 204)

    const after = await scrape()
    const delta = (name: string, labels: Record<string, string> = {}): number =>
      (valueOf(after, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0)
    t.equal(delta('latchkey_auth_logins_total', { outcome: 'success' }), 2)
    t.equal(delta('latchkey_auth_logins_total', { outcome: 'failure' }), 1)
    t.equal(delta('latchkey_auth_refreshes_total', { outcome: 'success' }), 1)
    t.equal(delta('latchkey_auth_refreshes_total', { outcome: 'reused' }), 1)
    t.equal(delta('latchkey_auth_refresh_reuse_detections_total'), 1)
    t.equal(delta('latchkey_auth_revocations_total', { kind: 'session' }), 2, 'the reused session and the logged-out one')
    t.equal(after.find(sample => sample.name === 'latchkey_auth_logins_total')?.labels.service, 'auth', 'every sample names its service')
  })

  t.test('has a latency histogram per route template, not per URL', async t => {
    const user = await registeredUser(app)
    await app.inject({ method: 'GET', url: `/accounts/${user.id}`, headers: bearer(user.tokens.accessToken) })
    await app.inject({ method: 'GET', url: `/nowhere/${user.id}` })
    const samples = await scrape()
    const histogram = 'latchkey_http_request_duration_seconds'
    t.ok((valueOf(samples, `${histogram}_count`, { method: 'POST', route: '/sessions', status_code: '201' }) ?? 0) >= 1)
    t.ok((valueOf(samples, `${histogram}_count`, { method: 'GET', route: '/accounts/:id', status_code: '403' }) ?? 0) >= 1)
    t.ok((valueOf(samples, `${histogram}_count`, { method: 'GET', route: 'unmatched', status_code: '404' }) ?? 0) >= 1)
    t.type(valueOf(samples, `${histogram}_bucket`, { le: '0.01', method: 'POST', route: '/sessions' }), 'number', 'has buckets')
    t.notOk(samples.some(sample => Object.values(sample.labels).some(value => value.includes(user.id))), 'no id of a URL becomes a label')
  })

  t.test('exports revocation-view size and age, outbox lag and the password-hashing queue', async t => {
    const user = await registeredUser(app)
    await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(user.tokens.accessToken) })
    const samples = await scrape()
    t.ok((valueOf(samples, 'latchkey_revocation_view_entries', { kind: 'session' }) ?? 0) >= 1)
    t.type(valueOf(samples, 'latchkey_revocation_view_entries', { kind: 'account' }), 'number')
    const age = valueOf(samples, 'latchkey_revocation_view_age_seconds') ?? -1
    t.ok(age >= 0 && age < 10, `the view was confirmed ${age} s ago`)
    const lag = valueOf(samples, 'latchkey_auth_outbox_lag_seconds') ?? -1
    t.ok(lag >= 0 && lag < 5, `outbox lag ${lag} s`)
    t.equal(valueOf(samples, 'latchkey_auth_password_hash_queue_depth'), 0)
  })

  t.test('reports hashes waiting for a slot while log-ins queue', async t => {
    const user = await registeredUser(app)
    const logins = Promise.all(Array.from({ length: 8 }, async () =>
      await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })))
    let deepest = 0
    await eventually(async () => {
      deepest = Math.max(deepest, valueOf(await scrape(), 'latchkey_auth_password_hash_queue_depth') ?? 0)
      return deepest >= 1
    }, 2000, 1)
    const answers = await logins
    t.ok(deepest >= 1, `queue depth reached ${deepest} with 8 log-ins and 2 hashing slots`)
    t.same(answers.map(answer => answer.statusCode), Array(8).fill(201))
  })

  t.test('keeps a registry per app: a second app in the same process starts from zero', async t => {
    const replica = await buildReplica()
    t.equal(valueOf(await scrape(replica), 'latchkey_auth_logins_total', { outcome: 'success' }), 0)
    t.ok((valueOf(await scrape(), 'latchkey_auth_logins_total', { outcome: 'success' }) ?? 0) > 0, 'the first app keeps its counts')
  })

  t.test('is not part of the OpenAPI document', async t => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, unknown> }>()
    t.notOk('/metrics' in document.paths)
  })
})
