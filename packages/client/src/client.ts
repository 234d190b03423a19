/**
 * createLatchkeyClient: one method per operation of both services, typed from the contracts, with
 * the access token attached, refreshed before it expires, and refreshed once for any number of
 * callers that find it expired at the same time.
 */
import type { ComponentName, InputName, Shape } from './contract-schemas.js'
import { LatchkeyError, problemOf } from './errors.js'
import { routes, type OperationName, type Route, type Routes } from './routes.js'
import { memoryStorage, type StoredTokens, type TokenStorage } from './storage.js'

export interface LatchkeyClientOptions {
  /** Base URL of the auth service, e.g. `https://auth.example.com`. */
  authUrl: string
  /** Base URL of the users service. */
  usersUrl: string
  /** Where tokens live; memory by default. `localStorageStorage()` shares them between tabs. */
  storage?: TokenStorage
  fetch?: typeof fetch
  /** Refresh this many seconds before the access token expires (default 30; at most half its lifetime). */
  refreshLeeway?: number
  /**
   * The client went from signed in to signed out: a log out, a revoked session or a refused
   * refresh (`reason` is then the problem), or another client of the same storage signing out.
   */
  onSignedOut?: (reason: LatchkeyError | undefined) => void
}

type Line<R> = R extends { auth: infer L extends string } ? L : R extends { users: infer L extends string } ? L : never
type IdArgument<R> = Line<R> extends `${string}{id}${string}` ? [id: string] : []
type InputArgument<R> = R extends { input: infer I extends InputName }
  ? Line<R> extends `GET ${string}` ? [query?: Query<Shape<I>>] : [input: Shape<I>]
  : []
/** A query parameter given as undefined is left out of the URL. */
type Query<Q> = { [K in keyof Q]?: Q[K] | undefined }
type Answer<R> = R extends { response: infer C extends ComponentName } ? Shape<C> : undefined

/** The generic method of an operation: path id first, then its body (or query), answering its component. */
export type Operations = {
  [N in OperationName]: (...args: [...IdArgument<Routes[N]>, ...InputArgument<Routes[N]>]) => Promise<Answer<Routes[N]>>
}

/** Log in either signs in, or stops at a second factor (`problem.problem` carries its extensions). */
export type LogInResult =
  | { status: 'signed_in', tokens: Shape<'TokenPair'> }
  | { status: 'mfa_required', problem: LatchkeyError }

export interface LatchkeyClient extends Omit<Operations, 'logIn' | 'logInWithSecondFactor' | 'refreshSession'> {
  /** Stores the new session's tokens; an `mfa_required` problem is a result, every other problem throws. */
  logIn (body: Shape<'LoginBody'>): Promise<LogInResult>
  /**
   * The second step after `mfa_required`: `{ mfaToken, code }` or `{ mfaToken, recoveryCode }`
   * (`mfaToken` from `problem.problem`). Stores the new session's tokens like a log in.
   */
  logInWithSecondFactor (body: Shape<'MfaLogInBody'>): Promise<LogInResult & { status: 'signed_in' }>
  /** Refreshes now (shared with any refresh in flight); null when signed out. */
  refreshSession (): Promise<StoredTokens | null>
  /** The stored tokens, or null when signed out. */
  tokens (): Promise<StoredTokens | null>
}

export function createLatchkeyClient (options: LatchkeyClientOptions): LatchkeyClient {
  const storage = options.storage ?? memoryStorage()
  const leewayMs = (options.refreshLeeway ?? 30) * 1000
  const call = options.fetch ?? ((input, init) => fetch(input, init))
  const bases = { auth: options.authUrl.replace(/\/$/, ''), users: options.usersUrl.replace(/\/$/, '') }
  /** The last ETag seen per path, sent back as If-Match on the next PATCH or PUT of that path. */
  const etags = new Map<string, string>()
  let signedIn = false
  let refreshing: Promise<StoredTokens | null> | undefined

  /** Notes what the storage holds; the step from signed in to signed out is told once. */
  function observe (tokens: StoredTokens | null, reason?: LatchkeyError): StoredTokens | null {
    const wasSignedIn = signedIn
    signedIn = tokens !== null
    if (wasSignedIn && !signedIn) {
      etags.clear()
      options.onSignedOut?.(reason)
    }
    return tokens
  }
  const read = async (): Promise<StoredTokens | null> => observe(await storage.get())
  async function save (tokens: StoredTokens | null, reason?: LatchkeyError): Promise<StoredTokens | null> {
    await storage.set(tokens)
    return observe(tokens, reason)
  }
  const stored = (pair: Shape<'TokenPair'>): StoredTokens => ({ ...pair, expiresAt: Date.now() + pair.expiresIn * 1000 })

  /** Ends the stored session if it is still `sessionId` (not one logged in since). */
  const end = (sessionId: string): Promise<unknown> => storage.lock(async () => {
    if ((await storage.get())?.sessionId === sessionId) await save(null)
  })

  async function exchange (route: Route, args: unknown[], token?: string): Promise<[Response, string]> {
    const service = route.auth === undefined ? 'users' : 'auth'
    const [method, template] = (route[service] ?? '').split(' ') as [string, string]
    const hasId = template.includes('{id}')
    const path = hasId ? template.replace('{id}', encodeURIComponent(String(args[0]))) : template
    const input = args[hasId ? 1 : 0] as Record<string, unknown> | undefined
    const headers: Record<string, string> = {}
    if (token !== undefined) headers.authorization = `Bearer ${token}`
    const etag = etags.get(path)
    if (etag !== undefined && (method === 'PATCH' || method === 'PUT')) headers['if-match'] = etag
    let query = ''
    let body: string | undefined
    if (input !== undefined && method === 'GET') {
      const defined = Object.entries(input).filter(([, value]) => value !== undefined).map(([key, value]) => [key, String(value)])
      if (defined.length > 0) query = `?${new URLSearchParams(defined).toString()}`
    } else if (input !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(input)
    }
    return [await call(bases[service] + path + query, { method, headers, body: body ?? null }), path]
  }

  async function answer (route: Route, [response, path]: [Response, string]): Promise<unknown> {
    // A failing readiness probe answers 503 with its Health body: an answer, not a problem.
    if (!response.ok && !(response.status === 503 && route.response === 'Health')) throw await problemOf(response)
    const etag = response.headers.get('etag')
    if (etag !== null) etags.set(path, etag)
    return response.status === 204 ? undefined : await response.json()
  }

  /**
   * One refresh for every caller holding `stale`: callers in this realm share the promise, other
   * realms sharing the storage wait on its lock and then find the successor already stored.
   */
  function refresh (stale: StoredTokens): Promise<StoredTokens | null> {
    refreshing ??= storage.lock(async () => {
      const tokens = await read()
      if (tokens === null || tokens.accessToken !== stale.accessToken) return tokens
      const [response] = await exchange(routes.refreshSession, [{ refreshToken: tokens.refreshToken }])
      if (response.ok) return await save(stored(await response.json() as Shape<'TokenPair'>))
      const error = await problemOf(response)
      // A refusal (revoked session, reused or unknown token) is final; overload and outages are not.
      if (error.status < 500 && error.status !== 429) await save(null, error)
      throw error
    }).finally(() => { refreshing = undefined })
    return refreshing
  }

  /**
   * The tokens to send: refreshed first when within the leeway of expiry. A refresh that failed
   * for a while (outage) leaves the stored tokens to try; one that signed the client out fails the call.
   */
  async function current (): Promise<StoredTokens | null> {
    const tokens = await read()
    const due = tokens !== null && Date.now() >= tokens.expiresAt - Math.min(leewayMs, tokens.expiresIn * 500)
    if (!due) return tokens
    return await refresh(tokens).catch(async (error: unknown) => {
      const stored = await read()
      if (stored === null) throw error
      return stored
    })
  }

  async function send (route: Route, args: unknown[]): Promise<unknown> {
    let tokens = route.open === true ? null : await current()
    let exchanged = await exchange(route, args, tokens?.accessToken)
    if (exchanged[0].status === 401 && tokens !== null) {
      const problem = await problemOf(exchanged[0])
      // Expired, or cut off (a role change revokes the account's access tokens but not its
      // sessions): one refresh decides, one retry follows. A revoked session fails the refresh.
      if (problem.code !== 'token_expired' && problem.code !== 'token_revoked') throw problem
      tokens = await refresh(tokens)
      // Signed out meanwhile (by the refresh another call made, or elsewhere): nothing to retry with.
      if (tokens === null) throw problem
      exchanged = await exchange(route, args, tokens.accessToken)
    }
    return await answer(route, exchanged)
  }

  const client: Record<string, unknown> = {}
  for (const name of Object.keys(routes) as OperationName[]) {
    const route: Route = routes[name]
    client[name] = (...args: unknown[]) => send(route, args)
  }

  /** Runs an operation that ends the caller's session on success, then forgets its tokens. */
  const ending = (route: Route) => async (...args: unknown[]): Promise<void> => {
    const tokens = await read()
    await send(route, args)
    if (tokens !== null) await end(tokens.sessionId)
  }

  async function signIn (pair: Shape<'TokenPair'>): Promise<LogInResult & { status: 'signed_in' }> {
    await storage.lock(() => save(stored(pair)))
    etags.clear()
    return { status: 'signed_in', tokens: pair }
  }

  return Object.assign(client, {
    async logIn (body: Shape<'LoginBody'>): Promise<LogInResult> {
      const [response] = await exchange(routes.logIn, [body])
      if (!response.ok) {
        const problem = await problemOf(response)
        if (problem.code === 'mfa_required') return { status: 'mfa_required', problem }
        throw problem
      }
      return await signIn(await response.json() as Shape<'TokenPair'>)
    },
    async logInWithSecondFactor (body: Shape<'MfaLogInBody'>): Promise<LogInResult & { status: 'signed_in' }> {
      return await signIn(await answer(routes.logInWithSecondFactor, await exchange(routes.logInWithSecondFactor, [body])) as Shape<'TokenPair'>)
    },
    async logOut (): Promise<void> {
      const tokens = await read()
      if (tokens === null) return
      // Log out accepts an expired token, so no refresh first; the tokens go even if the call fails.
      try {
        await answer(routes.logOut, await exchange(routes.logOut, [], tokens.accessToken))
      } finally {
        await end(tokens.sessionId)
      }
    },
    logOutEverywhere: ending(routes.logOutEverywhere),
    deleteMyAccount: ending(routes.deleteMyAccount),
    async refreshSession (): Promise<StoredTokens | null> {
      const tokens = await read()
      return tokens === null ? null : await refresh(tokens)
    },
    tokens: read
  }) as unknown as LatchkeyClient
}
