/** @latchkey/client: a typed fetch client for the Latchkey auth and users services. */
export { createLatchkeyClient, type LatchkeyClient, type LatchkeyClientOptions, type LogInResult, type Operations } from './client.js'
export { LatchkeyError, type ReceivedProblem } from './errors.js'
export { localStorageStorage, memoryStorage, realmLock, type StoredTokens, type TokenStorage } from './storage.js'
export type { Shape, SchemaName } from './contract-schemas.js'
