/**
 * How long each scenario should take with a run's settings, in seconds: where the time left in
 * the progress lines starts from before elapsed time corrects it. Set-up work (minting, filling
 * Redis, log-ins, extra processes) is counted at rates seen on a 2-core machine.
 */
import type { BenchSettings } from './context.js'

export type Planned = (settings: BenchSettings) => number

/** Starting one more auth process and waiting for it to listen. */
const START_S = 2
const MINTED_PER_S = 20_000
const REVOCATIONS_WRITTEN_PER_S = 100_000
/** One Redis cut, reload and the settle second after it (scenario 7). */
const RESYNC_S = 4
/** One propagation trial: its log-in or registration (a hash) and the polling. */
const TRIAL_S = 0.1

/** Both sides warmed up, then rounds of baseline and subject (lib/paired.ts; scenario 4 has the same shape). */
const paired: Planned = s => 2 * s.warmupS + 2 * s.rounds * s.durationS
/** /verify warm-up, then per round: idle, log-in alone, both together (scenario 5's measureMix). */
const mix: Planned = s => s.warmupS + 3 * s.rounds * s.durationS

/** Scenario 10's log-ins are measured for at least this long: a quick run's second would count only a handful. */
export const PEER_LOGIN_MINIMUM_S = 5
/** `pnpm --dir bench/peers install --frozen-lockfile` with the packages already in pnpm's store. */
const PEERS_INSTALL_S = 5
/** Scenario 10: three peer processes; 4 token checks, 2 session checks, 3 log-ins, each warmed up, rounds interleaved. */
const peers: Planned = s => PEERS_INSTALL_S + 3 * START_S + 9 * s.warmupS + s.rounds * (6 * s.durationS + 3 * Math.max(s.durationS, PEER_LOGIN_MINIMUM_S))

export const planned = {
  paired,
  distinctTokens: (s => s.distinctTokens / MINTED_PER_S + paired(s)) satisfies Planned,
  login: paired,
  /** A full run measures the other hashing concurrency too, on a second auth process. */
  verifyUnderLogin: (s => mix(s) + (s.quick ? 0 : START_S + paired(s) + mix(s))) satisfies Planned,
  propagation: (s => s.trials * TRIAL_S) satisfies Planned,
  revocationScale: (s => 2 * START_S + 3 * s.warmupS + s.revokedSessions / REVOCATIONS_WRITTEN_PER_S + s.rounds * RESYNC_S + paired(s)) satisfies Planned,
  soak: (s => s.warmupS + s.soakS) satisfies Planned,
  peers
}
