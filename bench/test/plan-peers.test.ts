import t from 'tap'
import { planned, PEER_LOGIN_MINIMUM_S } from '../src/lib/plan.js'
import { benchSettings, type RunOptions } from '../src/lib/cli.js'

const options: RunOptions = { quick: false, peers: true, only: undefined, note: undefined, out: undefined, durationS: undefined, uvThreadpoolSize: undefined, passwordHashConcurrency: undefined }

t.test('scenario 10 plans its nine measurements, the log-ins for at least their minimum', async t => {
  const full = benchSettings(options, 2)
  // install, three processes, nine warm-ups, 3 rounds × (6 × 10 s + 3 × 10 s)
  t.equal(planned.peers(full), 5 + 6 + 27 + 270)
  const quick = benchSettings({ ...options, quick: true }, 2)
  t.equal(planned.peers(quick), 5 + 6 + 4.5 + 6 + 3 * PEER_LOGIN_MINIMUM_S)
})
