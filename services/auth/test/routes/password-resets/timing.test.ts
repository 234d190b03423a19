import t from 'tap'
import { build, register, uniqueEmail } from '../../helper.js'
import { startStalledMailServer } from '../../mail-server.js'

t.test('POST /password-resets answers the same for a known and an unknown address, in about the same time (ASVS 6.3.8)', async t => {
  // The mail server stalls: the relay's work for the known address (token, SMTP) waits in the
  // background instead of competing with the measured requests.
  const stalled = await startStalledMailServer(t)
  const { app } = await build(t, { env: { SMTP_URL: stalled.url, EMAIL_VERIFICATION: 'off', LOGIN_FAILURES_MAX: '100000', RATE_LIMIT_IP_MAX: '100000' } })
  const { email } = await register(app)
  const time = async (address: string): Promise<{ ms: number, body: string, status: number }> => {
    const started = process.hrtime.bigint()
    const response = await app.inject({ method: 'POST', url: '/password-resets', payload: { email: address } })
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, body: response.body, status: response.statusCode }
  }
  // The log-in timing method: warm up, then interleave so drift on a busy machine hits both alike.
  await time(email)
  await time(uniqueEmail())
  const known: number[] = []
  const unknown: number[] = []
  const answers = new Set<string>()
  for (let i = 0; i < 30; i++) {
    const a = await time(uniqueEmail())
    const b = await time(email)
    unknown.push(a.ms)
    known.push(b.ms)
    answers.add(`${a.status}${a.body}`)
    answers.add(`${b.status}${b.body}`)
  }
  const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] ?? 0
  const [mu, mk] = [median(unknown), median(known)]
  t.same([...answers], ['202{"status":"accepted"}'], 'one status and body for both')
  t.ok(Math.abs(mu - mk) / Math.max(mu, mk) <= 0.10, `medians within 10%: unknown ${mu.toFixed(2)} ms, known ${mk.toFixed(2)} ms`)
})
