/**
 * Strong ETags for profiles, from their row version, and the If-Match test (RFC 9110 §13.1.1):
 * a weak or malformed tag never matches, `*` matches any existing profile.
 */
export function profileEtag (version: number): string {
  return `"${version}"`
}

export type IfMatch =
  | { kind: 'absent' }
  | { kind: 'any' }
  /** The versions named by strong tags; empty when no tag could match. */
  | { kind: 'versions', versions: number[] }

export function parseIfMatch (header: string | undefined): IfMatch {
  if (header === undefined) return { kind: 'absent' }
  if (header.trim() === '*') return { kind: 'any' }
  const versions = header.split(',').flatMap(tag => {
    const match = /^"(\d{1,9})"$/.exec(tag.trim())
    return match?.[1] === undefined ? [] : [Number(match[1])]
  })
  return { kind: 'versions', versions }
}
