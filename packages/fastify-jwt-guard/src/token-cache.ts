/**
 * The verified-token cache: at most `capacity` entries in two generations of capacity / 2. New
 * entries go to the young generation; when it is full it becomes the old one and the previous old
 * one is dropped whole. A hit in the old generation moves the entry back to the young one, so a
 * token in use stays cached while a stream of new tokens passes through.
 *
 * Why not one Map evicting its first key: V8's Map leaves a deleted entry as a hole that iteration
 * skips until the table is rehashed, so `keys().next()` after thousands of evictions walks
 * thousands of holes on every new token (BENCHMARKS.md, scenario 2, has the cost).
 */
export interface TokenCache<V> {
  get (token: string): V | undefined
  set (token: string, value: V): void
  delete (token: string): void
}

export function createTokenCache<V> (capacity: number): TokenCache<V> {
  const generationSize = Math.max(1, Math.floor(capacity / 2))
  let young = new Map<string, V>()
  let old = new Map<string, V>()

  function set (token: string, value: V): void {
    if (capacity <= 0) return
    young.set(token, value)
    if (young.size >= generationSize) {
      old = young
      young = new Map()
    }
  }

  return {
    get (token) {
      const hit = young.get(token)
      if (hit !== undefined) return hit
      const aging = old.get(token)
      if (aging !== undefined) {
        old.delete(token)
        set(token, aging)
      }
      return aging
    },
    set,
    delete (token) {
      young.delete(token)
      old.delete(token)
    }
  }
}
