/** The client as an application bundles it: esbuild, minified, tree-shaken from the package entry. */
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

/** The size budget, min+gzip: 6 kB. */
export const BUDGET_BYTES = 6000

export async function bundleClient (): Promise<{ code: string, gzipped: number, inputs: string[] }> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    metafile: true,
    logLevel: 'silent'
  })
  const code = result.outputFiles[0]?.text ?? ''
  return { code, gzipped: gzipSync(code).length, inputs: Object.keys(result.metafile.inputs) }
}
