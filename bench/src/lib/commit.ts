/** Which code a run measured: the checked-out commit, and whether the tree had changes on top. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

export interface Commit {
  hash: string
  /** Uncommitted changes (tracked or untracked files) when the run started. */
  dirty: boolean
}

/** undefined outside a git checkout (a copied tree, no git installed). */
export async function currentCommit (directory: string): Promise<Commit | undefined> {
  const git = async (...args: string[]): Promise<string> => (await promisify(execFile)('git', args, { cwd: directory })).stdout.trim()
  try {
    return { hash: await git('rev-parse', 'HEAD'), dirty: (await git('status', '--porcelain')) !== '' }
  } catch {
    return undefined
  }
}
