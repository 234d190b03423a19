/**
 * The page the browser test loads (bundled by esbuild): a client on localStorage, as an
 * application in a tab would make it, exposed to the test as `window.latchkey`.
 */
import { createLatchkeyClient, localStorageStorage, type LatchkeyClient } from '../../src/index.js'

declare global {
  interface Window {
    latchkey: LatchkeyClient
  }
}

const params = new URLSearchParams(location.search)
window.latchkey = createLatchkeyClient({
  authUrl: params.get('auth') ?? '',
  usersUrl: params.get('users') ?? '',
  storage: localStorageStorage(),
  refreshLeeway: 0
})
document.title = 'ready'
