/**
 * Progress lines of a run: `[scenario 2/9 · round 1/3 · ~9 min left]`. The time left starts from
 * each scenario's planned seconds (lib/plan.ts) and is scaled by how the finished scenarios'
 * actual time compared with their plan, so a busy machine's slowness carries forward.
 */

/** What a scenario calls at the start of each of its measurement rounds. */
export interface RoundProgress {
  round (number: number, of: number): void
}

export interface PlannedScenario { id: number, plannedS: number }

/** `index`: the running scenario; `doneS`: the actual seconds of the ones before it; `elapsedS`: the running one's so far. */
export function secondsLeft (plannedS: number[], index: number, doneS: number, elapsedS: number): number {
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0)
  const plannedDone = sum(plannedS.slice(0, index))
  const pace = plannedDone > 0 && doneS > 0 ? doneS / plannedDone : 1
  return Math.max(0, (plannedS[index] as number) * pace - elapsedS) + sum(plannedS.slice(index + 1)) * pace
}

export function describeLeft (seconds: number): string {
  return seconds < 90 ? `~${Math.round(seconds)} s left` : `~${Math.round(seconds / 60)} min left`
}

export class Progress implements RoundProgress {
  readonly #plan: PlannedScenario[]
  readonly #log: (message: string) => void
  readonly #now: () => number
  #index = -1
  #doneS = 0
  #startedAt = 0

  /** `now`: seconds on a monotonic clock. */
  constructor (plan: PlannedScenario[], log: (message: string) => void, now = (): number => performance.now() / 1000) {
    this.#plan = plan
    this.#log = log
    this.#now = now
  }

  #line (round: string): string {
    const { id } = this.#plan[this.#index] as PlannedScenario
    const position = `${this.#index + 1}/${this.#plan.length}`
    const left = secondsLeft(this.#plan.map(p => p.plannedS), this.#index, this.#doneS, this.#now() - this.#startedAt)
    return `[scenario ${id === this.#index + 1 ? position : `${id} (${position})`} · ${round}${describeLeft(left)}]`
  }

  /** Starts the plan's next scenario (and closes the one before). */
  next (): void {
    if (this.#index >= 0) this.#doneS += this.#now() - this.#startedAt
    this.#index++
    this.#startedAt = this.#now()
    this.#log(this.#line(''))
  }

  round (number: number, of: number): void {
    this.#log(`  ${this.#line(`round ${number}/${of} · `)}`)
  }
}
