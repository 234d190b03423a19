/** Small statistics over samples. */

export function median (values: number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile (values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = Float64Array.from(values).sort()
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[rank] as number
}

/** A growable list of float samples (latencies), cheap to push at tens of thousands per second. */
export class Samples {
  #data = new Float64Array(1 << 16)
  #length = 0

  push (value: number): void {
    if (this.#length === this.#data.length) {
      const grown = new Float64Array(this.#data.length * 2)
      grown.set(this.#data)
      this.#data = grown
    }
    this.#data[this.#length++] = value
  }

  get length (): number { return this.#length }
  values (): Float64Array { return this.#data.subarray(0, this.#length) }
  percentile (p: number): number { return percentile(this.values(), p) }
}
