/**
 * In a real browser (headless Chromium, driven by playwright-core): a page bundling the client
 * logs in and reads /users/me across origins (CORS_ORIGINS names the page's origin), a second tab
 * picks the session up from localStorage, and when the access token has expired the two tabs,
 * calling at once, refresh it exactly once between them (the Web Lock, and the re-read under it).
 */
import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Page } from 'playwright-core'
import { freePort } from '@latchkey/test-support'
import { password, signUp, startClientStack } from './helper.js'

/** As on this machine's CI: no sandbox as root, and no background traffic to a closed network. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

async function servePage (t: Test, port: number): Promise<string> {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('../../test/browser/page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent'
  })
  const script = bundled.outputFiles[0]?.text ?? ''
  const server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
    } else {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>loading</title><script type="module" src="/page.js"></script>')
    }
  })
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return `http://127.0.0.1:${port}`
}

t.test('in Chromium: log in, read /users/me, and two tabs sharing localStorage refresh once between them', async t => {
  const pagePort = await freePort()
  const origin = `http://127.0.0.1:${pagePort}`
  const stack = await startClientStack(t, { ACCESS_TOKEN_TTL: '5', CORS_ORIGINS: origin })
  await servePage(t, pagePort)
  const { email } = await signUp(stack.client(), 'Tab User')

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS })
  t.teardown(async () => { await browser.close() })
  const context = await browser.newContext()
  const pageErrors: string[] = []
  const open = async (): Promise<Page> => {
    const page = await context.newPage()
    page.on('pageerror', error => { pageErrors.push(error.message) })
    await page.goto(`${origin}/?auth=${encodeURIComponent(stack.authUrl)}&users=${encodeURIComponent(stack.usersUrl)}`)
    await page.waitForFunction(() => document.title === 'ready')
    return page
  }

  const first = await open()
  t.equal(await first.evaluate(() => 'locks' in navigator), true, 'the Web Locks API is there')
  const login = await first.evaluate(async credentials => (await window.latchkey.logIn(credentials)).status, { email, password })
  t.equal(login, 'signed_in')
  t.match(await first.evaluate(async () => await window.latchkey.getMyProfile()), { name: 'Tab User' }, '/users/me read across origins')

  const second = await open()
  t.match(await second.evaluate(async () => await window.latchkey.getMyAccount()), { email }, 'the second tab uses the stored session')
  t.equal(stack.auth.count('POST', '/sessions', 201), 2, 'without logging in again (one log in by the page, one by signUp)')

  const expiresAt = await first.evaluate(async () => (await window.latchkey.tokens())?.expiresAt ?? 0)
  await new Promise(resolve => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 500))
  const refreshesBefore = stack.auth.count('POST', '/sessions/refresh')
  const unauthorizedBefore = stack.users.seen.filter(exchange => exchange.status === 401).length
  const burst = async (page: Page): Promise<string[]> => await page.evaluate(async () =>
    await Promise.all(Array.from({ length: 5 }, async () => (await window.latchkey.getMyProfile()).name)))
  const [fromFirst, fromSecond] = await Promise.all([burst(first), burst(second)])
  t.same([...fromFirst, ...fromSecond], Array.from({ length: 10 }, () => 'Tab User'), 'every call of both tabs answered')
  t.equal(stack.auth.count('POST', '/sessions/refresh') - refreshesBefore, 1, 'exactly one refresh between the two tabs')
  t.equal(stack.users.seen.filter(exchange => exchange.status === 401).length - unauthorizedBefore, 0, 'no call sent the expired token')
  const [firstToken, secondToken] = await Promise.all([first, second].map(async page =>
    await page.evaluate(async () => (await window.latchkey.tokens())?.accessToken)))
  t.equal(firstToken, secondToken, 'both tabs hold the one new token')
  t.same(pageErrors, [], 'no error in the pages')
})
