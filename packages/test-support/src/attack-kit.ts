/**
 * What both services' attack tests share: the assertions every refused request must pass, the
 * classic SQL-injection strings, and fast-check arbitraries for hostile bodies and query strings.
 */
import { readdirSync, readFileSync } from 'node:fs'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'

/** A refused request: a 4xx, RFC 9457 problem+json with a stable code, no stack or SQL in the body. */
export function assertRefused (t: Test, response: LightMyRequestResponse, label: string, status?: number): void {
  const diagnostic = { body: response.body.slice(0, 500) }
  if (status === undefined) t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: 4xx`, { statusCode: response.statusCode, ...diagnostic })
  else t.equal(response.statusCode, status, `${label}: ${status}`, diagnostic)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
  const body = response.json<{ code?: unknown, status?: unknown }>()
  t.type(body.code, 'string', `${label}: a code`)
  t.equal(body.status, response.statusCode, `${label}: status in the body`)
  t.notMatch(response.body, /(at \w+ \(|node_modules|SELECT |INSERT |UPDATE |syntax error|postgres)/i, `${label}: no internals`)
}

/** Never a 5xx; a 4xx is problem+json. */
export function assertNoServerError (t: Test, response: LightMyRequestResponse, label: string): boolean {
  if (response.statusCode >= 500) {
    t.fail(`${label}: ${response.statusCode} ${response.body.slice(0, 300)}`)
    return false
  }
  if (response.statusCode >= 400 && !/^application\/problem\+json/.test(String(response.headers['content-type']))) {
    t.fail(`${label}: ${response.statusCode} without problem+json`)
    return false
  }
  return true
}

/** The classic SQL-injection strings (sqlmap, OWASP testing guide, jwt_tool kid payloads). */
export const sqlInjectionPayloads: readonly string[] = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "' OR ''='",
  "admin'--",
  "'; DROP TABLE accounts; --",
  "'; DROP TABLE profiles; --",
  '1; SELECT pg_sleep(5)--',
  "' UNION SELECT NULL, NULL, NULL --",
  "' UNION SELECT password_hash FROM accounts --",
  '" OR "1"="1',
  "') OR ('1'='1",
  "1' AND (SELECT 1 FROM pg_sleep(5)) --",
  "%' OR '1'='1",
  '\\\'; SELECT 1; --',
  '$$; DROP SCHEMA public CASCADE; $$',
  "'||(SELECT version())||'",
  '1)) OR 1=1 --',
  "x' AND extractvalue(1,concat(0x7e,version())) --"
]

/** A lone UTF-16 surrogate: valid in a JSON string escape, not in UTF-8 or PostgreSQL text. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map(code => String.fromCharCode(code))

/** Text where any character may be a NUL, a lone surrogate, a control character or any code point. */
export const edgyString = (constraints: { minLength?: number, maxLength?: number } = {}): fc.Arbitrary<string> => fc.string({
  ...constraints,
  unit: fc.oneof(
    { arbitrary: fc.string({ minLength: 1, maxLength: 1 }), weight: 6 },
    { arbitrary: fc.constantFrom('\u0000', '\u0001', '\u001f', '\u007f', '\u2028', '\ufeff', '\ufffe'), weight: 1 },
    { arbitrary: loneSurrogate, weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 1 }
  )
})

/** Strings an attacker would try: every Unicode unit, control characters, SQL, huge. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string(), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme' }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary' }), weight: 2 },
  { arbitrary: edgyString(), weight: 2 },
  // eslint-disable-next-line no-template-curly-in-string -- a template-injection payload, on purpose
  { arbitrary: fc.constantFrom(...sqlInjectionPayloads, '__proto__', 'constructor', 'admin', '', ' ', '\u0000', '\ud800', 'a@b', '${7*7}', '{{7*7}}'), weight: 2 },
  { arbitrary: fc.string({ minLength: 300, maxLength: 2000 }), weight: 1 }
)

export const hostileJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2, stringUnit: 'binary' }),
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1e308, 1.5, [], {}, [null], ['admin'])
)

/** Keys an attacker adds: prototype keys, fields of other shapes, anything. */
export const extraKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'roles', 'role', 'status', 'id', 'email', 'isAdmin', 'admin', 'accountId', 'sub', 'passwordHash', 'password_hash', 'createdAt', 'version'),
  fc.string({ maxLength: 20 })
)

/** JSON text of an object with these entries, in order, duplicates and __proto__ kept as written. */
export function objectText (entries: ReadonlyArray<readonly [string, unknown]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${(JSON.stringify(value) as string | undefined) ?? 'null'}`).join(',')}}`
}

/**
 * Bodies for a route whose body has these fields, each with a generator of plausible values: any
 * JSON at all, or the fields (some missing) with plausible, hostile or wrongly typed values, with
 * or without extra keys, nested prototype-pollution attempts, or padded past 16 KiB.
 */
export function hostileBody (fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<string> {
  const fieldEntries = Object.entries(fields).map(([name, plausible]) =>
    fc.option(fc.oneof({ arbitrary: plausible, weight: 8 }, { arbitrary: hostileString, weight: 1 }, { arbitrary: hostileJson, weight: 1 }).map(value => [name, value] as const), { nil: undefined, freq: 10 }))
  const extras = fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(fc.tuple(extraKey, hostileJson), { minLength: 1, maxLength: 3 }), weight: 1 })
  const nearlyRight = fc.tuple(fc.tuple(...fieldEntries), extras)
    .map(([known, extra]) => objectText([...known.filter(entry => entry !== undefined), ...extra]))
  return fc.oneof(
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(value => JSON.stringify(value)), weight: 2 },
    { arbitrary: nearlyRight, weight: 6 },
    { arbitrary: fc.constantFrom('{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"polluted":true}}}', '[{"__proto__":{"polluted":true}}]'), weight: 1 },
    { arbitrary: fc.constantFrom('{', '{"a":', 'null', '""', 'NaN', '{"a":1}}', '\u0000', ''), weight: 1 },
    { arbitrary: nearlyRight.map(text => `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}"pad":"${'x'.repeat(17 * 1024)}"}`), weight: 1 }
  )
}

/** Percent-encodes the UTF-8 bytes of a string (lone surrogates become U+FFFD, as a browser would send them). */
export function percentEncode (value: string): string {
  return [...Buffer.from(value, 'utf8')].map(byte => /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
}

/** Query strings: known and unknown names, repeated names, hostile values, raw text with stray %, & and =. */
export function hostileQuery (names: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<string> {
  const pair = fc.oneof(
    ...Object.entries(names).map(([name, plausible]) => fc.tuple(fc.constant(name), fc.oneof(plausible, hostileString))),
    fc.tuple(extraKey, hostileString)
  )
  const structured = fc.array(pair, { maxLength: 4 }).map(pairs => pairs.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join('&'))
  const raw = fc.string({ unit: fc.constantFrom('%', '&', '=', '[', ']', 'a', '0', '.', '+', 'limit', 'cursor', 'email', 'q', '%00', '%ZZ', '%E0%A4', '%C0%80', '%ED%A0%80') })
  return fc.oneof(structured, raw)
}

/** Cursors that look like ours: base64url JSON, arrays of two strings, dates and ids. */
export const hostileCursor: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map(value => Buffer.from(JSON.stringify(value)).toString('base64url')),
  fc.tuple(fc.oneof(hostileString, fc.date({ noInvalidDate: true }).map(date => date.toISOString())), fc.oneof(fc.uuid(), hostileString))
    .map(pair => Buffer.from(JSON.stringify(pair)).toString('base64url')),
  hostileString
)

/** What statementsDuring needs of a postgres.js pool. */
export interface StatementWatcher {
  unsafe: (query: string, parameters: string[]) => PromiseLike<unknown[]>
}

/**
 * Runs `request` while watching PostgreSQL for a running statement whose text holds `marker`
 * (default `pg_sleep`). A payload bound as a parameter never appears in statement text; one pasted
 * into SQL does, for as long as it runs, so an injected pg_sleep is seen however fast or slow the
 * machine is: a deterministic oracle where "answered within N ms" was a guess.
 */
export async function statementsDuring<T> (sql: StatementWatcher, request: () => Promise<T>, marker = 'pg_sleep'): Promise<{ result: T, statements: string[] }> {
  const statements = new Set<string>()
  let settled = false
  // Read through a call: the request settles while the loop awaits PostgreSQL.
  const isSettled = (): boolean => settled
  const running = request().finally(() => { settled = true })
  do {
    const rows = await sql.unsafe(
      "SELECT query FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active' AND position($1 in query) > 0 AND position('pg_stat_activity' in query) = 0",
      [marker]
    ) as Array<{ query: string }>
    for (const row of rows) statements.add(row.query)
  } while (!isSettled())
  return { result: await running, statements: [...statements] }
}

/**
 * The ids of this process's child processes (Linux /proc). A command an injected header made the
 * service run (`$(sleep 10)` in a kid) would still be among them right after the answer: compare
 * before and after instead of timing the answer.
 */
export function childProcessIds (): number[] {
  const tasks = readdirSync('/proc/self/task')
  return tasks.flatMap(task => readFileSync(`/proc/self/task/${task}/children`, 'utf8').split(' ').filter(id => id !== '').map(Number)).sort((a, b) => a - b)
}

/** The parts of a service's OpenAPI document the generated route tests read. */
export interface OpenApiDocument { paths: Record<string, Record<string, { security?: Array<Record<string, unknown>>, responses: Record<string, unknown> }>> }

/** Every operation of the document that declares bearer security: a route added later is covered without being listed. */
export function bearerOperations (document: OpenApiDocument): Array<{ method: 'get' | 'put' | 'post' | 'patch' | 'delete', path: string }> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    (['get', 'put', 'post', 'patch', 'delete'] as const).flatMap(method =>
      item[method]?.security?.some(requirement => 'bearerAuth' in requirement) === true ? [{ method, path }] : []))
}
