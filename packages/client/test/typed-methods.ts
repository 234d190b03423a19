/**
 * Compile-time checks of the client's method types, run by `tsc -b` (the first step of `pnpm test`):
 * arguments and answers are the contracts' types, so a mistake below fails the build.
 */
import type { Account, Profile, PublicProfile, Session, TokenPair } from '@latchkey/contracts'
import type { LatchkeyClient } from '../src/index.js'

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the type-equality idiom compares two generic signatures
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- T is the assertion: it must extend true
function expectType<T extends true> (_check?: T): void {}

export async function typedMethods (client: LatchkeyClient): Promise<void> {
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['getMyAccount']>>, Account>>()
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['getMyProfile']>>, Profile>>()
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['getUser']>>, PublicProfile>>()
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['listMySessions']>>['items'][number], Session>>()
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['listAccounts']>>['items'][number], Account>>()
  expectType<Equal<Awaited<ReturnType<LatchkeyClient['revokeSession']>>, undefined>>()
  const login = await client.logIn({ email: 'a@example.test', password: 'correct horse battery staple' })
  if (login.status === 'signed_in') expectType<Equal<typeof login.tokens, TokenPair>>()

  await client.listUsers()
  await client.listUsers({ q: 'gr', limit: 10 })
  await client.updateMyProfile({ bio: null })
  // @ts-expect-error: a path id is required
  await client.getAccount()
  // @ts-expect-error: bio is a string or null, never a number
  await client.updateMyProfile({ bio: 5 })
  // @ts-expect-error: PUT needs the name
  await client.replaceMyProfile({ bio: 'no name' })
  // @ts-expect-error: status is 'active' or 'disabled'
  await client.updateAccount('id', { status: 'banned' })
  // @ts-expect-error: no such query parameter
  await client.listAccounts({ role: 'admin' })
}
