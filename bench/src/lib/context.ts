/** What every scenario gets: the running servers, the settings of this run, and helpers. */
import type { Redis } from 'ioredis'
import type { BenchKey } from './tokens.js'
import type { ServerProcess } from './processes.js'
import type { RoundProgress } from './progress.js'

export interface BenchSettings {
  quick: boolean
  /** Seconds per measurement. */
  durationS: number
  /** Seconds of warm-up per server before its first measurement. */
  warmupS: number
  rounds: number
  /** autocannon connections at saturation. */
  connections: number
  uvThreadpoolSize: number
  passwordHashConcurrency: number
  /** Trials of the propagation scenarios (6, 8). */
  trials: number
  /** Distinct tokens of scenario 2. */
  distinctTokens: number
  /** Revoked sessions of scenario 7. */
  revokedSessions: number
  soakS: number
}

export interface BenchAccount {
  id: string
  email: string
  password: string
  /** A real access token from POST /sessions. */
  token: string
}

export interface BenchContext {
  settings: BenchSettings
  runId: string
  prefix: string
  issuer: string
  audience: string
  key: BenchKey
  redis: Redis
  auth: ServerProcess
  users: ServerProcess
  /** Bare routes with the auth service's server options. */
  baseAuth: ServerProcess
  /** Bare routes with the users service's server options (and its schema, for the PK SELECT). */
  baseUsers: ServerProcess
  account: BenchAccount
  databaseUrl: string
  /** Where this run's report goes (scenario 10 writes its chart beside it). */
  reportPath: string
  /** Starts another auth-service process (stopped at the end of the run if not before). */
  startAuth (name: string, env: Record<string, string>): Promise<ServerProcess>
  /** Starts a peer's server (scenario 10) from its entry file, on the services' NODE_ENV and UV_THREADPOOL_SIZE plus `env`. */
  startPeer (name: string, entry: string, env: Record<string, string>): Promise<ServerProcess>
  log (message: string): void
  /** Called at the start of each measurement round: the run's progress line. */
  progress: RoundProgress
}

/** `×`: a ratio; `share`: a fraction (0.05 is 5%); `/s`: operations per second other than HTTP requests. */
export type Unit = 'req/s' | '/s' | 'ms' | 'bytes' | 'count' | 'share' | '×'

/** A figure as a number, for the JSON results; its formatted form is in the row's strings. */
export interface Quantity {
  value: number
  unit: Unit
}

/** One line of the results table. */
export interface ResultRow {
  scenario: string
  measured: string
  baseline: string
  /** The compared figure: a ratio, or a value for absolute targets. */
  value: string
  target: string
  /** Server CPU per request, subject ÷ baseline, where both are HTTP throughputs (steadier on a busy machine). */
  cpu?: string
  /** undefined: no threshold (quick mode) or not applicable. */
  met: boolean | undefined
  /** The row's figures unformatted: `value` is the one checked against the target. */
  numbers: {
    measured: Quantity
    baseline?: Quantity
    value: Quantity
    /** The `cpu` ratio. */
    cpu?: number
  }
}

export interface ScenarioResult {
  id: number
  title: string
  rows: ResultRow[]
  /** Per-round figures and remarks, for the details section. */
  details: string[]
}
