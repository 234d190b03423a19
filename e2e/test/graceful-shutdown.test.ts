import t from 'tap'
import { connect } from 'node:net'
import { randomUUID } from 'node:crypto'
import { skipWithoutRedis } from '@latchkey/test-support'
import { authEnv, call, entryOf, freePort, isolate, spawnService, usersEnv } from './processes.js'

const password = 'correct horse battery staple'

/** Whether a new TCP connection to the port is refused (the listener is closed). */
async function refused (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => { socket.destroy(); resolve(false) })
    socket.once('error', () => { resolve(true) })
  })
}

t.test('SIGTERM on the built services', { skip: await skipWithoutRedis() }, async t => {
  const isolation = await isolate(t)
  const [authPort, metricsPort] = [await freePort(), await freePort()]
  // One hashing slot and a heavier argon2: log-ins queue, so requests are genuinely in flight.
  // Eight log-ins of one account from one network at once exceed the attempts reserved per
  // (email, network) by default, so the limit is raised here; the queue must hold them all too.
  const auth = await spawnService(t, entryOf('auth'), authEnv(isolation, authPort, {
    PASSWORD_HASH_CONCURRENCY: '1',
    ARGON2_MEMORY_COST: '65536',
    ARGON2_TIME_COST: '3',
    LOGIN_FAILURES_MAX: '100',
    PASSWORD_HASH_QUEUE_MAX: '16',
    METRICS_PORT: String(metricsPort)
  }), { port: authPort })

  t.test('the auth service finishes in-flight log-ins, refuses new connections and exits 0 within 10 s', async t => {
    const email = `slow-${randomUUID()}@example.test`
    t.equal((await call(`${auth.url}/accounts`, 'POST', { body: { email, password, name: 'Slow Loris' } })).status, 201)

    const inFlight = Array.from({ length: 8 }, async () => await call(`${auth.url}/sessions`, 'POST', { body: { email, password } }))
    // Wait until log-ins are queued behind the single hashing slot (the metric says so).
    const deadline = Date.now() + 5000
    for (;;) {
      const metrics = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(async response => await response.text())
      const depth = Number(/^latchkey_auth_password_hash_queue_depth\{[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0)
      if (depth >= 2) break
      if (Date.now() > deadline) throw new Error('log-ins never queued')
      await new Promise(resolve => setTimeout(resolve, 5))
    }

    const stopped = auth.stop('SIGTERM')
    let closed = false
    for (let i = 0; i < 100 && !closed; i++) {
      closed = await refused(authPort)
      if (!closed) await new Promise(resolve => setTimeout(resolve, 10))
    }
    t.ok(closed, 'new connections are refused once the signal is handled')

    const answers = await Promise.all(inFlight)
    t.same(answers.map(answer => answer.status), Array(8).fill(201), 'every in-flight log-in completes with a token pair')
    const exit = await stopped
    // close-with-grace exits 1 when closing outlasts its 10 s delay: code 0 means it finished within it.
    t.equal(exit.code, 0, `exit code 0 (output: ${auth.output().slice(-2000)})`)
    t.equal(exit.signal, null, 'exited by itself, not killed')
  })

  t.test('the users service exits 0 within 10 s of SIGTERM', async t => {
    const helperAuthPort = await freePort()
    const helperAuth = await spawnService(t, entryOf('auth'), authEnv(isolation, helperAuthPort), { port: helperAuthPort })
    const usersPort = await freePort()
    const users = await spawnService(t, entryOf('users'), usersEnv(isolation, usersPort, helperAuth.url), { port: usersPort })
    const exit = await users.stop('SIGTERM')
    // close-with-grace exits 1 when closing outlasts its 10 s delay: code 0 means it finished within it.
    t.equal(exit.code, 0, `exit code 0 (output: ${users.output().slice(-2000)})`, { exit })
    t.equal(exit.signal, null, 'exited by itself, not killed')
    t.ok(await refused(usersPort))
    const authExit = await helperAuth.stop('SIGTERM')
    t.equal(authExit.code, 0)
  })
})
