import t from 'tap'
import Fastify from 'fastify'
import { Writable } from 'node:stream'
import { schedulePeriodicJob } from '../src/index.js'

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function appWithLog (): { app: ReturnType<typeof Fastify>, lines: Array<{ level: number, msg: string }> } {
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString()) as { level: number, msg: string }); done() } })
  return { app: Fastify({ logger: { level: 'info', stream } }), lines }
}

t.test('schedulePeriodicJob › runs once ready, never overlaps itself, logs each result, retries after a failure and lets a run finish on close', async t => {
  const { app, lines } = appWithLog()
  let active = 0
  let mostAtOnce = 0
  let runs = 0
  let finished = 0
  schedulePeriodicJob(app, {
    intervalMs: 10,
    random: () => 0,
    run: async () => {
      runs++
      active++
      mostAtOnce = Math.max(mostAtOnce, active)
      await sleep(35) // longer than the interval: ticks meanwhile must not start another run
      active--
      if (runs === 1) throw new Error('database away')
      finished++
      return runs
    },
    describe: run => ({ fields: { run }, msg: 'job done' })
  })
  t.equal(runs, 0, 'nothing before the app is ready')
  await app.ready()
  await sleep(150)
  await app.close()
  const afterClose = runs
  t.equal(active, 0, 'close waited for the run in progress')
  t.equal(mostAtOnce, 1, 'one run at a time')
  t.ok(finished >= 1, `retried after the failure (${runs} runs)`)
  t.ok(lines.some(line => line.level === 40 && /failed; retried/.test(line.msg)), 'the failure is logged as a warning')
  t.ok(lines.some(line => line.level === 30 && line.msg === 'job done'), 'a success is logged with its result')
  await sleep(40)
  t.equal(runs, afterClose, 'no run after close')
})
