import t from 'tap'
import { describeLeft, Progress, secondsLeft } from '../src/lib/progress.js'
import { planned } from '../src/lib/plan.js'
import { benchSettings } from '../src/lib/cli.js'

t.test('time left: the plan until a scenario has finished, then scaled by the actual pace', async t => {
  t.equal(secondsLeft([100, 50, 50], 0, 0, 0), 200)
  t.equal(secondsLeft([100, 50, 50], 0, 0, 30), 170)
  // Over its plan: the running scenario counts as about to finish.
  t.equal(secondsLeft([100, 50, 50], 0, 0, 130), 100)
  // The first took twice its plan: what is left is doubled too.
  t.equal(secondsLeft([100, 50, 50], 1, 200, 10), 90 + 100)
  t.equal(secondsLeft([100, 50, 50], 2, 75, 0), 25)
})

t.test('time left in words', async t => {
  t.equal(describeLeft(0), '~0 s left')
  t.equal(describeLeft(89.4), '~89 s left')
  t.equal(describeLeft(540), '~9 min left')
})

t.test('progress lines: scenario, round and time left; the scenario number shown when --only skips some', async t => {
  const lines: string[] = []
  let now = 0
  const progress = new Progress([{ id: 1, plannedS: 60 }, { id: 2, plannedS: 480 }], line => lines.push(line), () => now)
  progress.next()
  progress.round(1, 3)
  now = 30
  progress.round(2, 3)
  now = 60
  progress.next()
  now = 120
  progress.round(1, 3)
  t.same(lines, [
    '[scenario 1/2 · ~9 min left]',
    '  [scenario 1/2 · round 1/3 · ~9 min left]',
    '  [scenario 1/2 · round 2/3 · ~9 min left]',
    '[scenario 2/2 · ~8 min left]',
    '  [scenario 2/2 · round 1/3 · ~7 min left]'
  ])
  const only = new Progress([{ id: 7, plannedS: 30 }], line => lines.push(line), () => 0)
  only.next()
  t.equal(lines.at(-1), '[scenario 7 (1/1) · ~30 s left]')
  const clocked = new Progress([{ id: 1, plannedS: 30 }], line => lines.push(line))
  clocked.next()
  t.equal(lines.at(-1), '[scenario 1/1 · ~30 s left]', 'the default clock')
})

t.test('the plan of a full run on defaults matches the last full run (702 s) within a few minutes', async t => {
  const sum = (quick: boolean): number => {
    const s = benchSettings({ quick, only: undefined, note: undefined, out: undefined, durationS: undefined, uvThreadpoolSize: undefined, passwordHashConcurrency: undefined }, 2)
    return [planned.paired(s), planned.distinctTokens(s), planned.paired(s), planned.login(s), planned.verifyUnderLogin(s),
      planned.propagation(s), planned.revocationScale(s), planned.propagation(s), planned.soak(s)].reduce((a, b) => a + b, 0)
  }
  t.ok(sum(false) > 600 && sum(false) < 900, `full: ${sum(false)} s`)
  t.ok(sum(true) < 60, `quick: ${sum(true)} s`)
})
