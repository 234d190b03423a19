/**
 * The capacity model of docs/scaling.md: measured costs per operation (capacity.ts) times the
 * rates of an assumed workload. Plain arithmetic, every formula next to its output, so that the
 * document can quote both; no measurement happens here.
 */

type Operation = 'login' | 'refresh' | 'logout' | 'registration'

export interface Measured {
  /** Server CPU µs per operation (auth unless named users). */
  cpuUs: {
    verifyHot: number
    verifyDistinct: number
    usersMe: number
    login: number
    refresh: number
    logout: number
    registration: number
    /** The users service's share of a registration (applying the account event). */
    registrationUsers: number
  }
  redisCommands: Record<Operation, number>
  walBytes: Record<Operation, number>
  commits: Record<Operation, number>
  /** Rows inserted + updated + deleted per operation, every table of both services. */
  rowWrites: Record<Operation, number>
  /** pg_total_relation_size ÷ rows (heap, indexes, TOAST). */
  bytesPerRow: { session: number, account: number, profile: number, outbox: number }
  /** RSS per entry of the guard's view (1,000,000 entries applied, after GC). */
  viewBytesPerEntry: number
  /** Redis used_memory per member of the revocation ZSET. */
  redisBytesPerRevocation: number
  /** MEMORY USAGE of the account-event stream ÷ its entries. */
  streamBytesPerEvent: number
  /** MEMORY USAGE of one rate-limit counter key. */
  counterKeyBytes: number
}

export interface Workload {
  users: number
  dailyLogins: number
  /** Peak rate ÷ mean rate, for every daily count. */
  peakFactor: number
  /** GET /verify per second at peak (a gateway asking auth). */
  verifyPerS: number
  /** GET /users/me (and other guarded users reads) per second at peak. */
  usersReadsPerS: number
  refreshesPerLogin: number
  /** Share of log-ins that end with DELETE /sessions/current. */
  logoutShare: number
  dailyRegistrations: number
  /** Account events per day (registrations, profile-relevant changes, deletions). */
  dailyAccountEvents: number
  accessTokenTtlS: number
  /** How long past its tokens' lifetime a revocation entry is kept: the largest TOKEN_LEEWAY a guard may allow (s). */
  revocationMarginS: number
  rateLimitWindowS: number
  /** Rate-limit counter keys one open POST from a new network creates. */
  countersPerRequest: number
  /** Sessions kept in PostgreSQL (days); SESSION_MAX_LIFETIME is 90. */
  sessionRetentionDays: number
  /** Account-event stream entries kept in Redis (days). */
  streamRetentionDays: number
  /** CPU a replica is sized to use at peak (headroom for GC, bursts, a replica lost). */
  targetUtilization: number
}

export const DEFAULT_WORKLOAD: Workload = {
  users: 10_000_000,
  dailyLogins: 1_000_000,
  peakFactor: 10,
  verifyPerS: 50_000,
  usersReadsPerS: 5_000,
  refreshesPerLogin: 8,
  logoutShare: 0.5,
  dailyRegistrations: 10_000,
  dailyAccountEvents: 20_000,
  accessTokenTtlS: 900,
  revocationMarginS: 300,
  rateLimitWindowS: 60,
  countersPerRequest: 2,
  sessionRetentionDays: 90,
  streamRetentionDays: 7,
  targetUtilization: 0.6
}

export interface ModelLine {
  what: string
  value: number
  unit: string
  formula: string
}

const DAY_S = 86_400

export function capacityModel (m: Measured, w: Workload = DEFAULT_WORKLOAD): ModelLine[] {
  const peak = (perDay: number): number => perDay / DAY_S * w.peakFactor
  const rates: Record<Operation, number> = {
    login: peak(w.dailyLogins),
    refresh: peak(w.dailyLogins * w.refreshesPerLogin),
    logout: peak(w.dailyLogins * w.logoutShare),
    registration: peak(w.dailyRegistrations)
  }
  const ops: Operation[] = ['login', 'refresh', 'logout', 'registration']
  const across = (per: Record<Operation, number>): number => ops.reduce((total, op) => total + rates[op] * per[op], 0)
  const cores = (µsPerS: number): number => µsPerS / 1e6 / w.targetUtilization

  const verifyCores = cores(w.verifyPerS * m.cpuUs.verifyDistinct)
  const passwordCores = cores(rates.login * m.cpuUs.login + rates.registration * m.cpuUs.registration)
  const sessionCores = cores(rates.refresh * m.cpuUs.refresh + rates.logout * m.cpuUs.logout)
  const usersCores = cores(w.usersReadsPerS * m.cpuUs.usersMe + rates.registration * m.cpuUs.registrationUsers)
  // A session revocation is kept until the last access token it covers has expired, plus the margin.
  const liveRevocations = rates.logout * (w.accessTokenTtlS + w.revocationMarginS)
  const openPostsPerS = rates.login + rates.refresh + rates.registration
  const counters = openPostsPerS * w.rateLimitWindowS * w.countersPerRequest
  const walPerS = across(m.walBytes)
  const meanWalPerDay = walPerS / w.peakFactor * DAY_S

  return [
    { what: 'peak log-ins', value: rates.login, unit: '/s', formula: 'dailyLogins ÷ 86,400 × peakFactor' },
    { what: 'peak refreshes', value: rates.refresh, unit: '/s', formula: 'log-ins/s × refreshesPerLogin' },
    { what: 'peak log-outs', value: rates.logout, unit: '/s', formula: 'log-ins/s × logoutShare' },
    { what: 'peak registrations', value: rates.registration, unit: '/s', formula: 'dailyRegistrations ÷ 86,400 × peakFactor' },
    { what: '/verify per core (distinct tokens)', value: 1e6 / m.cpuUs.verifyDistinct, unit: '/s', formula: '1 s ÷ CPU per /verify' },
    { what: '/verify per core (hot token)', value: 1e6 / m.cpuUs.verifyHot, unit: '/s', formula: '1 s ÷ CPU per /verify' },
    { what: 'log-ins per core', value: 1e6 / m.cpuUs.login, unit: '/s', formula: '1 s ÷ CPU per log-in' },
    { what: 'auth cores for /verify', value: verifyCores, unit: 'cores', formula: 'verify/s × CPU per /verify (distinct) ÷ targetUtilization' },
    { what: 'auth cores for log-ins and registrations', value: passwordCores, unit: 'cores', formula: '(log-ins/s × CPU per log-in + registrations/s × CPU per registration) ÷ targetUtilization' },
    { what: 'auth cores for refresh and log-out', value: sessionCores, unit: 'cores', formula: '(refreshes/s × CPU per refresh + log-outs/s × CPU per log-out) ÷ targetUtilization' },
    { what: 'auth cores, total', value: verifyCores + passwordCores + sessionCores, unit: 'cores', formula: 'sum of the three above' },
    { what: 'users cores', value: usersCores, unit: 'cores', formula: '(usersReads/s × CPU per /users/me + registrations/s × users CPU per registration) ÷ targetUtilization' },
    { what: 'live session revocations', value: liveRevocations, unit: 'entries', formula: 'log-outs/s × (accessTokenTtl + revocationMargin) (peak held for a whole entry lifetime)' },
    { what: 'revocation view per replica', value: liveRevocations * m.viewBytesPerEntry, unit: 'bytes', formula: 'live revocations × view bytes per entry' },
    { what: 'Redis: revocation set', value: liveRevocations * m.redisBytesPerRevocation, unit: 'bytes', formula: 'live revocations × Redis bytes per revocation' },
    { what: 'Redis: rate-limit counters', value: counters * m.counterKeyBytes, unit: 'bytes', formula: '(log-ins + refreshes + registrations)/s × window × countersPerRequest × bytes per counter key' },
    { what: 'Redis: account-event stream', value: w.dailyAccountEvents * w.streamRetentionDays * m.streamBytesPerEvent, unit: 'bytes', formula: 'events/day × streamRetentionDays × bytes per entry' },
    { what: 'Redis commands at peak', value: across(m.redisCommands), unit: '/s', formula: 'Σ rate × commands per operation (/verify sends none)' },
    { what: 'PostgreSQL commits at peak', value: across(m.commits), unit: '/s', formula: 'Σ rate × commits per operation' },
    { what: 'PostgreSQL row writes at peak', value: across(m.rowWrites), unit: '/s', formula: 'Σ rate × rows inserted/updated/deleted per operation' },
    { what: 'PostgreSQL WAL at peak', value: walPerS, unit: 'bytes/s', formula: 'Σ rate × WAL bytes per operation' },
    { what: 'PostgreSQL WAL per day', value: meanWalPerDay, unit: 'bytes', formula: 'WAL/s at peak ÷ peakFactor × 86,400' },
    { what: 'table: sessions', value: w.dailyLogins * w.sessionRetentionDays * m.bytesPerRow.session, unit: 'bytes', formula: 'dailyLogins × sessionRetentionDays × bytes per session row' },
    { what: 'table: accounts', value: w.users * m.bytesPerRow.account, unit: 'bytes', formula: 'users × bytes per account row' },
    { what: 'table: profiles', value: w.users * m.bytesPerRow.profile, unit: 'bytes', formula: 'users × bytes per profile row' },
    { what: 'table: outbox, per year', value: w.dailyAccountEvents * 365 * m.bytesPerRow.outbox, unit: 'bytes', formula: 'events/day × 365 × bytes per outbox row (rows are kept)' }
  ]
}

function human (value: number, unit: string): string {
  if (unit === 'bytes' || unit === 'bytes/s') {
    const suffix = unit === 'bytes/s' ? '/s' : ''
    if (value >= 1024 ** 3) return `${(value / 1024 ** 3).toFixed(1)} GiB${suffix}`
    if (value >= 1024 ** 2) return `${(value / 1024 ** 2).toFixed(1)} MiB${suffix}`
    return `${(value / 1024).toFixed(1)} KiB${suffix}`
  }
  const digits = value < 10 ? 2 : 0
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })}${unit === '/s' ? '/s' : ` ${unit}`}`
}

export function renderModel (lines: ModelLine[], w: Workload = DEFAULT_WORKLOAD): string {
  return [
    '### Model',
    '',
    `Workload: ${Object.entries(w).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`,
    '',
    '| quantity | value | formula |',
    '|---|---|---|',
    ...lines.map(line => `| ${line.what} | ${human(line.value, line.unit)} | ${line.formula} |`)
  ].join('\n')
}
