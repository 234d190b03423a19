/**
 * The bundled client: under the 6 kB min+gzip budget, free of Node built-ins (esbuild's neutral
 * platform resolves none), and free of TypeBox and the contracts, whose types alone it uses.
 */
import t from 'tap'
import { BUDGET_BYTES, bundleClient } from './bundle.js'

t.test('the bundled client stays under 6 kB min+gzip, with no Node built-in and no TypeBox', async t => {
  const { code, gzipped, inputs } = await bundleClient()
  t.comment(`@latchkey/client: ${code.length} bytes minified, ${gzipped} bytes min+gzip`)
  t.ok(gzipped < BUDGET_BYTES, `${gzipped} bytes min+gzip, budget ${BUDGET_BYTES}`)
  t.same(inputs.filter(input => !input.startsWith('src/')), [], 'only the client\'s own modules')
  t.notOk(inputs.includes('src/contract-schemas.ts'), 'the schemas are imported for their types only')
  t.notMatch(code, /\brequire\(|\bprocess\.|node:/, 'no CommonJS, process or node: modules')
})
