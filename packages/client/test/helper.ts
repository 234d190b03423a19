/**
 * Both services, started by e2e's stack helper (real HTTP, this machine's PostgreSQL and Redis,
 * schemas and a Redis prefix of their own), each behind a counting proxy so a test can count what
 * the client really sent (how many refreshes, how many 401s).
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'
import { password, startTestStack, type TestStack as ServicesStack } from '@latchkey/e2e/stack'
import { createLatchkeyClient, type LatchkeyClient, type LatchkeyClientOptions } from '../src/index.js'

export { adminEmail, password } from '@latchkey/e2e/stack'

export interface Exchange { method: string, path: string, status: number }

export interface CountingProxy {
  url: string
  /** Every answered request so far, in order of answer. */
  seen: Exchange[]
  count (method: string, path: string, status?: number): number
}

export interface TestStack {
  stack: ServicesStack['stack']
  /** Base URLs of the proxies in front of the services: what clients are given. */
  authUrl: string
  usersUrl: string
  auth: CountingProxy
  users: CountingProxy
  client (options?: Partial<LatchkeyClientOptions>): LatchkeyClient
}

async function countingProxy (t: Test, target: string): Promise<CountingProxy> {
  const seen: Exchange[] = []
  const server = createServer((incoming, outgoing) => {
    const forwarded = request(target + (incoming.url ?? '/'), { method: incoming.method, headers: incoming.headers }, answer => {
      seen.push({ method: incoming.method ?? '', path: (incoming.url ?? '').split('?')[0] ?? '', status: answer.statusCode ?? 0 })
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(outgoing)
    })
    forwarded.on('error', () => { outgoing.destroy() })
    incoming.pipe(forwarded)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    count: (method, path, status) => seen.filter(exchange => exchange.method === method && exchange.path === path &&
      (status === undefined || exchange.status === status)).length
  }
}

export async function startClientStack (t: Test, env: Record<string, string> = {}): Promise<TestStack> {
  const { stack, auth: authTarget, users: usersTarget } = await startTestStack(t, { SECRETS_KEY: randomBytes(32).toString('base64'), ...env }, 'c')
  const auth = await countingProxy(t, authTarget)
  const users = await countingProxy(t, usersTarget)
  return {
    stack,
    authUrl: auth.url,
    usersUrl: users.url,
    auth,
    users,
    client: (options = {}) => createLatchkeyClient({ authUrl: auth.url, usersUrl: users.url, ...options })
  }
}

export const uniqueEmail = (): string => `u-${randomUUID()}@example.test`

/** Registers a new account through `client` and logs it in; resolves once its profile exists. */
export async function signUp (client: LatchkeyClient, name = 'Grace Hopper'): Promise<{ id: string, email: string }> {
  const email = uniqueEmail()
  const account = await client.register({ email, password, name })
  const login = await client.logIn({ email, password })
  if (login.status !== 'signed_in') throw new Error(`log in stopped at ${login.status}`)
  await eventually(async () => await client.getMyProfile().then(() => true, () => false), 10_000)
  return { id: account.id, email }
}

/** Polls `check` until it holds; throws after `timeoutMs`. */
export async function eventually (check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!await check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
