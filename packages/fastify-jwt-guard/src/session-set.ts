/**
 * The revoked sessions of a RevocationView: sid → expiry (epoch s), the later expiry winning.
 * A million of them sit in a Map as a million strings and entries the garbage collector traces on
 * every major collection (~80 bytes each plus headroom). Here a canonical sid (a lower-case UUID,
 * what the auth service issues) is parsed into 128 bits and kept in an open-addressing hash table
 * over typed arrays: 20 bytes a slot, no object per entry, nothing for the collector to trace.
 * Anything else (upper case, the nil UUID, not a UUID) goes to a small Map beside it, so every
 * string applied is found again exactly as a Map would find it.
 *
 * Callers that check the same sid often (the verifier's cache) parse it once with parseSid() and
 * keep the result: a check then costs one hash-table probe, no string work.
 */

/** A sid as the set looks it up: made by parseSid() only, so words are never missing for a canonical sid. */
export interface ParsedSid {
  readonly sid: string
  /** The UUID's four 32-bit words and their hash; undefined when sid is not a canonical UUID. */
  readonly words: Int32Array | undefined
}

const INITIAL_CAPACITY = 1024
/** Grow past 70 % full; shrink (at purge) below 1/8 full. */
const MAX_LOAD = 0.7
const MIN_LOAD = 0.125

const DASH = 0x2d

/** The value of a lower-case hex digit, or -1. */
function hexValue (code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30
  if (code >= 0x61 && code <= 0x66) return code - 0x57
  return -1
}

/** Eight hex digits from `start`, skipping the dash at `dash` (or -1), as an int32; NaN when one is not a hex digit. */
function word (sid: string, start: number, dash: number): number {
  let value = 0
  let end = start + 8
  for (let i = start; i < end; i++) {
    if (i === dash) { end++; continue }
    const digit = hexValue(sid.charCodeAt(i))
    if (digit < 0) return Number.NaN
    value = (value << 4) | digit
  }
  return value
}

/** Mixes all 128 bits (UUIDs other than v4 have structured, non-random parts). */
function hash (a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d) ^ Math.imul(d, 0x27d4eb2f)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  return h ^ (h >>> 15)
}

/**
 * Writes a canonical (lower-case, not nil) UUID's four words and their hash into `into`; false,
 * and `into` left unspecified, for any other string.
 */
function parseInto (sid: string, into: Int32Array): boolean {
  if (sid.length !== 36 || sid.charCodeAt(8) !== DASH || sid.charCodeAt(13) !== DASH ||
    sid.charCodeAt(18) !== DASH || sid.charCodeAt(23) !== DASH) return false
  // xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx: words at 0, 9 (dash at 13), 19 (dash at 23), 28.
  const a = word(sid, 0, -1)
  const b = word(sid, 9, 13)
  const c = word(sid, 19, 23)
  const d = word(sid, 28, -1)
  // NaN | 0 is 0, so test for NaN before the nil check; the all-zero key marks an empty slot.
  if (Number.isNaN(a + b + c + d) || (a | b | c | d) === 0) return false
  into[0] = a
  into[1] = b
  into[2] = c
  into[3] = d
  into[4] = hash(a, b, c, d)
  return true
}

/** Parses sid once; words only when it is a canonical (lower-case, not nil) UUID. */
export function parseSid (sid: string): ParsedSid {
  const words = new Int32Array(5)
  return { sid, words: parseInto(sid, words) ? words : undefined }
}

/** Where add() parses: applying a million entries allocates nothing per entry. */
const scratch = new Int32Array(5)

export class SessionSet {
  /** The smallest table, a power of two (tests use tiny ones to crowd it). */
  readonly #minCapacity: number
  /** Four words per slot; all zero = empty. */
  #keys: Int32Array
  /** Expiry (epoch s) per slot, read only when applying and purging. */
  #expiries: Uint32Array
  #mask: number
  #count = 0
  /** Sids that are not canonical UUIDs. */
  readonly #others = new Map<string, number>()

  constructor (minCapacity = INITIAL_CAPACITY) {
    if (!(minCapacity >= 2 && (minCapacity & (minCapacity - 1)) === 0)) throw new RangeError('minCapacity must be a power of two')
    this.#minCapacity = minCapacity
    this.#keys = new Int32Array(minCapacity * 4)
    this.#expiries = new Uint32Array(minCapacity)
    this.#mask = minCapacity - 1
  }

  /** Slots in the table (for tests and the capacity model). */
  get capacity (): number {
    return this.#mask + 1
  }

  get size (): number {
    return this.#count + this.#others.size
  }

  has ({ sid, words }: ParsedSid): boolean {
    if (words === undefined) return this.#others.has(sid)
    return this.#find(words[0] as number, words[1] as number, words[2] as number, words[3] as number, words[4] as number) >= 0
  }

  /** Records sid as revoked until expiresAtS, unless it already is until then or later. */
  add (sid: string, expiresAtS: number): void {
    const words = scratch
    if (!parseInto(sid, words)) {
      const known = this.#others.get(sid)
      if (known === undefined || known < expiresAtS) this.#others.set(sid, expiresAtS)
      return
    }
    const a = words[0] as number
    const b = words[1] as number
    const c = words[2] as number
    const d = words[3] as number
    const h = words[4] as number
    const found = this.#find(a, b, c, d, h)
    if (found >= 0) {
      if ((this.#expiries[found] as number) < expiresAtS) this.#expiries[found] = expiresAtS
      return
    }
    if (this.#count + 1 > (this.#mask + 1) * MAX_LOAD) this.#resize((this.#mask + 1) * 2)
    this.#insert(a, b, c, d, h, expiresAtS)
    this.#count++
  }

  /** Drops every entry whose expiry is at or before nowS. */
  purge (nowS: number): void {
    for (const [sid, expiresAtS] of this.#others) if (expiresAtS <= nowS) this.#others.delete(sid)
    if (this.#count === 0) return
    const mask = this.#mask
    // Start right after an empty slot: no run of occupied slots wraps past the start, so a
    // deletion's backward shift only moves entries into the slot being examined or ahead of it.
    let start = 0
    while (!this.#isEmpty(start)) start++
    for (let step = 1; step <= mask + 1;) {
      const slot = (start + step) & mask
      if (!this.#isEmpty(slot) && (this.#expiries[slot] as number) <= nowS) {
        this.#deleteAt(slot)
        this.#count--
        continue // another entry may have shifted into this slot
      }
      step++
    }
    // After a flood has expired, give the memory back (down to at most 35 % full).
    const capacity = mask + 1
    if (capacity > this.#minCapacity && this.#count < capacity * MIN_LOAD) {
      let smaller = capacity
      while (smaller > this.#minCapacity && this.#count < (smaller / 2) * MAX_LOAD / 2) smaller /= 2
      this.#resize(smaller)
    }
  }

  #isEmpty (slot: number): boolean {
    const o = slot << 2
    const keys = this.#keys
    return ((keys[o] as number) | (keys[o + 1] as number) | (keys[o + 2] as number) | (keys[o + 3] as number)) === 0
  }

  /** The slot holding the key, or -1. Linear probing: stops at the first empty slot. */
  #find (a: number, b: number, c: number, d: number, h: number): number {
    const keys = this.#keys
    const mask = this.#mask
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const o = slot << 2
      const x = keys[o] as number
      const y = keys[o + 1] as number
      const z = keys[o + 2] as number
      const w = keys[o + 3] as number
      if (x === a && y === b && z === c && w === d) return slot
      if ((x | y | z | w) === 0) return -1
    }
  }

  /** Puts a key known to be absent into the first empty slot of its run (the table has room). */
  #insert (a: number, b: number, c: number, d: number, h: number, expiresAtS: number): void {
    const keys = this.#keys
    const mask = this.#mask
    let slot = h & mask
    while (!this.#isEmpty(slot)) slot = (slot + 1) & mask
    const o = slot << 2
    keys[o] = a
    keys[o + 1] = b
    keys[o + 2] = c
    keys[o + 3] = d
    this.#expiries[slot] = expiresAtS
  }

  /**
   * Empties a slot by backward shift (no tombstones): each later entry of the run that may sit
   * in the hole (its home slot is not between the hole and itself) moves into it.
   */
  #deleteAt (slot: number): void {
    const keys = this.#keys
    const expiries = this.#expiries
    const mask = this.#mask
    let hole = slot
    for (let next = (slot + 1) & mask; !this.#isEmpty(next); next = (next + 1) & mask) {
      const o = next << 2
      const home = hash(keys[o] as number, keys[o + 1] as number, keys[o + 2] as number, keys[o + 3] as number) & mask
      // Cyclic distances: the entry may move when its home is not in (hole, next].
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        const h = hole << 2
        keys[h] = keys[o] as number
        keys[h + 1] = keys[o + 1] as number
        keys[h + 2] = keys[o + 2] as number
        keys[h + 3] = keys[o + 3] as number
        expiries[hole] = expiries[next] as number
        hole = next
      }
    }
    const h = hole << 2
    keys[h] = 0
    keys[h + 1] = 0
    keys[h + 2] = 0
    keys[h + 3] = 0
    expiries[hole] = 0
  }

  #resize (capacity: number): void {
    const keys = this.#keys
    const expiries = this.#expiries
    const slots = this.#mask + 1
    this.#keys = new Int32Array(capacity * 4)
    this.#expiries = new Uint32Array(capacity)
    this.#mask = capacity - 1
    for (let slot = 0; slot < slots; slot++) {
      const o = slot << 2
      const a = keys[o] as number
      const b = keys[o + 1] as number
      const c = keys[o + 2] as number
      const d = keys[o + 3] as number
      if ((a | b | c | d) !== 0) this.#insert(a, b, c, d, hash(a, b, c, d), expiries[slot] as number)
    }
  }
}
