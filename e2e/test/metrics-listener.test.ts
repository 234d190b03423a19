/**
 * The one-process launcher's metrics: one listener on METRICS_PORT (0 here: a free one, which the
 * stack reports) serving both services' series, each labelled by `service`, in a valid exposition
 * (one HELP and TYPE per family); the API ports do not serve /metrics.
 */
import t from 'tap'
import { createServer } from 'node:net'
import { freePort } from '@latchkey/test-support'
import { startTestStack } from '../support/stack.js'

t.test('the launcher\'s metrics listener', async t => {
  const testStack = await startTestStack(t, {}, 'metrics')
  const { stack, auth, users } = testStack
  // One request to each service, so both have a latency series to show.
  t.equal((await testStack.call(auth, 'GET', '/health/live')).status, 200)
  t.equal((await testStack.call(users, 'GET', '/health/live')).status, 200)

  t.test('serves both services\' series on one port, labelled by service', async t => {
    t.match(stack.metrics.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
    t.not(stack.metrics.port, 0, 'the bound port, not the requested 0')
    const response = await fetch(stack.metrics.url)
    t.equal(response.status, 200)
    const text = await response.text()
    for (const service of ['auth', 'users']) {
      t.match(text, new RegExp(`^latchkey_http_request_duration_seconds_count\\{method="GET",route="/health/live",status_code="200",service="${service}"\\} \\d+$`, 'm'), `${service}'s latency`)
      t.match(text, new RegExp(`^latchkey_revocation_view_age_seconds\\{service="${service}"\\} `, 'm'), `${service}'s revocation view`)
    }
    t.match(text, /^latchkey_auth_password_hash_queue_depth\{service="auth"\} /m, 'the auth service\'s own metrics')
    t.match(text, /^latchkey_users_account_events_consuming\{service="users"\} 1$/m, 'the users service\'s own metrics')
    t.match(text, /^process_resident_memory_bytes \d+/m, 'the process\'s metrics, once')
    const types = [...text.matchAll(/^# TYPE (\S+) /gm)].map(match => match[1])
    t.same(types.filter((name, i) => types.indexOf(name) !== i), [], 'each family has one TYPE line, shared by the two services')
  })

  t.test('the API ports answer /metrics with a 404 problem (ASVS 13.4.5)', async t => {
    for (const base of [auth, users]) {
      const response = await testStack.call(base, 'GET', '/metrics')
      t.equal(response.status, 404, base)
      t.match(response.headers.get('content-type'), /^application\/problem\+json/)
      t.equal(response.body.code, 'not_found')
    }
  })
})

t.test('a metrics port already taken stops the launcher with everything it had started closed again', async t => {
  const taken = createServer()
  await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => taken.close(() => { resolve() })))
  const address = taken.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  const authPort = await freePort()
  await t.rejects(startTestStack(t, { METRICS_PORT: String(address.port), AUTH_PORT: String(authPort) }, 'metrics'), { code: 'EADDRINUSE', message: /METRICS_PORT/ })
  // The auth service had been listening before the metrics listener failed: its port is free again.
  const probe = createServer()
  await new Promise<void>((resolve, reject) => { probe.once('error', reject).listen(authPort, '127.0.0.1', resolve) })
  await new Promise<void>(resolve => probe.close(() => { resolve() }))
  t.pass('the auth port was released')
})
