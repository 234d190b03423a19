/**
 * What e2e's tests share on top of the stack helper: signing up over HTTP and waiting for a
 * condition.
 */
import { randomUUID } from 'node:crypto'
import type { Account, TokenPair } from '@latchkey/contracts'
import { password, type TestStack } from '../support/stack.js'

export { adminEmail, password, startTestStack, type TestStack } from '../support/stack.js'

export async function signUp (client: TestStack, name = 'Grace Hopper'): Promise<{ id: string, email: string, accessToken: string, refreshToken: string }> {
  const email = `u-${randomUUID()}@example.test`
  const created = await client.call<Account>(client.auth, 'POST', '/accounts', { body: { email, password, name } })
  if (created.status !== 201) throw new Error(`register: ${created.status}`)
  const session = await client.call<TokenPair>(client.auth, 'POST', '/sessions', { body: { email, password } })
  if (session.status !== 201) throw new Error(`login: ${session.status}`)
  return { id: created.body.id, email, accessToken: session.body.accessToken, refreshToken: session.body.refreshToken }
}

export async function until (check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  return await check() ? performance.now() - started : Infinity
}
