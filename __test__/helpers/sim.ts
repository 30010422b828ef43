// Locating the built avenor-sim and giving each test file its own AVENOR_HOME.
import { existsSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const root = resolve(__dirname, '..', '..')

/** The avenor-sim binary built by `npm run build` (release), else a debug build. */
export function simBinary(): string {
  for (const profile of ['release', 'debug']) {
    const p = join(root, 'target', profile, 'avenor-sim')
    if (existsSync(p)) return p
  }
  throw new Error('avenor-sim is not built: run `npm run build`')
}

/** A fresh AVENOR_HOME for this test process; removed by the returned cleanup. */
export function useTempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), 'avenor-home-'))
  process.env.AVENOR_HOME = home
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) }
}

/** An executable shell script in `dir` (for failing-daemon cases). */
export function script(dir: string, name: string, body: string): string {
  const p = join(dir, name)
  writeFileSync(p, `#!/bin/sh\n${body}\n`)
  chmodSync(p, 0o755)
  return p
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
