import t from 'tap'
import { capacityModel, DEFAULT_WORKLOAD, renderModel, type Measured, type Workload } from '../src/lib/capacity-model.js'

const perOp = (login: number, refresh: number, logout: number, registration: number): Measured['walBytes'] => ({ login, refresh, logout, registration })

const measured: Measured = {
  cpuUs: { verifyHot: 25, verifyDistinct: 100, usersMe: 200, login: 20_000, refresh: 1_000, logout: 2_000, registration: 20_000, registrationUsers: 3_000 },
  redisCommands: perOp(4, 3, 6, 7),
  walBytes: perOp(500, 400, 700, 2_000),
  commits: perOp(1, 1, 1.5, 4),
  rowWrites: perOp(1, 1, 3, 6),
  bytesPerRow: { session: 400, account: 600, profile: 200, outbox: 300 },
  viewBytesPerEntry: 140,
  redisBytesPerRevocation: 100,
  streamBytesPerEvent: 500,
  counterKeyBytes: 100
}

// Round numbers: 864,000 log-ins a day is 10/s on average, 100/s at a peak factor of 10.
const workload: Workload = {
  ...DEFAULT_WORKLOAD,
  users: 1_000_000,
  dailyLogins: 864_000,
  peakFactor: 10,
  verifyPerS: 10_000,
  usersReadsPerS: 1_000,
  refreshesPerLogin: 2,
  logoutShare: 0.5,
  dailyRegistrations: 8_640,
  dailyAccountEvents: 10_000,
  accessTokenTtlS: 900,
  revocationMarginS: 300,
  rateLimitWindowS: 60,
  countersPerRequest: 2,
  sessionRetentionDays: 90,
  streamRetentionDays: 7,
  targetUtilization: 0.5
}

const model = new Map(capacityModel(measured, workload).map(line => [line.what, line.value]))
const value = (what: string): number => {
  const found = model.get(what)
  if (found === undefined) throw new Error(`no model line "${what}"`)
  return found
}

t.test('capacityModel › peak rates are the daily count ÷ 86,400 × the peak factor', async t => {
  t.equal(value('peak log-ins'), 100)
  t.equal(value('peak refreshes'), 200)
  t.equal(value('peak log-outs'), 50)
  t.equal(value('peak registrations'), 1)
})

t.test('capacityModel › cores are rate × CPU per request ÷ the target utilization', async t => {
  t.equal(value('/verify per core (distinct tokens)'), 10_000)
  t.equal(value('/verify per core (hot token)'), 40_000)
  t.equal(value('log-ins per core'), 50)
  t.equal(value('auth cores for /verify'), 2) // 10,000/s × 100 µs = 1 core, at 50 %
  t.equal(value('auth cores for log-ins and registrations'), 4.04) // (100 × 20 ms + 1 × 20 ms) ÷ 0.5
  t.equal(value('auth cores for refresh and log-out'), 0.6) // (200 × 1 ms + 50 × 2 ms) ÷ 0.5
  t.equal(value('auth cores, total'), 2 + 4.04 + 0.6)
  t.equal(value('users cores'), 0.406) // (1,000 × 200 µs + 1 × 3 ms) ÷ 0.5
})

t.test('capacityModel › live revocations are the log-out rate held for one access-token lifetime plus the margin', async t => {
  t.equal(value('live session revocations'), 60_000) // 50/s × (900 + 300) s
  t.equal(value('revocation view per replica'), 60_000 * 140)
  t.equal(value('Redis: revocation set'), 60_000 * 100)
  t.equal(value('Redis: rate-limit counters'), 301 * 60 * 2 * 100)
  t.equal(value('Redis: account-event stream'), 10_000 * 7 * 500)
})

t.test('capacityModel › PostgreSQL load sums rate × cost over the writing operations', async t => {
  t.equal(value('Redis commands at peak'), 100 * 4 + 200 * 3 + 50 * 6 + 1 * 7)
  t.equal(value('PostgreSQL commits at peak'), 100 + 200 + 75 + 4)
  t.equal(value('PostgreSQL row writes at peak'), 100 + 200 + 150 + 6)
  t.equal(value('PostgreSQL WAL at peak'), 50_000 + 80_000 + 35_000 + 2_000)
  t.equal(value('PostgreSQL WAL per day'), 167_000 / 10 * 86_400)
  t.equal(value('table: sessions'), 864_000 * 90 * 400)
  t.equal(value('table: accounts'), 1_000_000 * 600)
  t.equal(value('table: profiles'), 1_000_000 * 200)
  t.equal(value('table: outbox, per year'), 10_000 * 365 * 300)
})

t.test('renderModel › one row per quantity, sizes in binary units, the workload stated', async t => {
  const table = renderModel(capacityModel(measured, workload), workload)
  t.match(table, /dailyLogins 864000/)
  t.match(table, /\| peak log-ins \| 100\/s \|/)
  t.match(table, /\| peak registrations \| 1\.00\/s \|/)
  t.match(table, /\| auth cores for \/verify \| 2\.00 cores \|/)
  t.match(table, /\| table: sessions \| 29\.0 GiB \|/)
  t.match(table, /\| revocation view per replica \| 8\.0 MiB \|/)
  t.match(table, /\| Redis: rate-limit counters \| 3\.4 MiB \|/)
  t.match(table, /\| PostgreSQL WAL at peak \| 163\.1 KiB\/s \|/)
  t.match(renderModel(capacityModel(measured)), /users 10000000/)
})
