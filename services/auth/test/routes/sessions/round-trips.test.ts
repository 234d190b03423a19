/**
 * What a log in costs the event loop in Redis: one script per limit subject before the hash (the
 * network's budget, then the account's failure limits), one after a success (the release), each
 * called by its SHA1. Counted on a Redis of this test's own with MONITOR.
 */
import t from 'tap'
import { connect } from 'node:net'
import { Redis } from 'ioredis'
import { startOwnRedis } from '@latchkey/test-support'
import { build, register, strongPassword } from '../../helper.js'

t.test('log in calls one abuse-limit script per subject, by SHA1', async t => {
  const own = await startOwnRedis()
  t.teardown(async () => { await own.stop() })
  const { app, prefix } = await build(t, { redisUrl: own.url, env: { RATE_LIMIT_IP_MAX: '1000', LOGIN_FAILURES_MAX: '1000' } })
  const { email } = await register(app)
  const logIn = async (password: string) => await app.inject({ method: 'POST', url: '/sessions', payload: { email, password }, remoteAddress: '198.51.100.40' })

  // MONITOR over a plain socket: one line per command Redis ran, `[0 lua]` for those a script ran.
  const monitor = connect(Number(new URL(own.url).port), '127.0.0.1')
  const other = new Redis(own.url)
  t.teardown(() => { monitor.destroy(); other.disconnect() })
  monitor.write('MONITOR\r\n')
  // The abuse-limit commands the service sent, each as its name and the kinds of key it names.
  let seen: string[] = []
  let pending = ''
  monitor.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\r\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      if (line.includes(' lua] ')) continue
      const kinds = [...line.matchAll(new RegExp(`"${prefix}abuse:([a-z0-9-]+):`, 'g'))].map(match => match[1])
      if (kinds.length > 0) seen.push(`${(/\] "(\w+)"/.exec(line)?.[1] ?? '').toLowerCase()} ${[...new Set(kinds)].join(',')}`)
    }
  })
  await new Promise(resolve => monitor.once('data', resolve))
  const sent = async (password: string, status: number): Promise<string[]> => {
    seen = []
    t.equal((await logIn(password)).statusCode, status)
    // MONITOR reports a command after it ran; one more round trip lets the last report arrive.
    await other.ping()
    await new Promise(resolve => setTimeout(resolve, 50))
    return seen
  }

  const reserve = 'login-fail,login-block,login-known'
  t.same(await sent(strongPassword, 201), ['evalsha ip', `evalsha ${reserve}`, `eval ${reserve}`, `evalsha ${reserve}`, `eval ${reserve}`],
    'the first log in: the network\'s script is loaded (registration ran it), the account\'s two get NOSCRIPT once and are loaded by EVAL')
  t.same(await sent(strongPassword, 201), ['evalsha ip', `evalsha ${reserve}`, `evalsha ${reserve}`],
    'a success: the network\'s budget, the reservation before the hash, its release after')
  t.same(await sent('not the password at all', 401), ['evalsha ip', `evalsha ${reserve}`],
    'a failure: the network\'s budget and the reservation, which stays counted')

  await other.script('FLUSH')
  t.same(await sent(strongPassword, 201), ['evalsha ip', 'eval ip', `evalsha ${reserve}`, `eval ${reserve}`, `evalsha ${reserve}`, `eval ${reserve}`],
    'after SCRIPT FLUSH (a restarted or failed-over Redis) each script is loaded again on its next call')
})
