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

/** Starts avenor-sim on `socket` and waits until the socket exists. */
export async function startSim(socket: string, args: string[] = [], env: Record<string, string> = {}) {
  const { spawn } = await import('node:child_process')
  const daemon = spawn(simBinary(), ['stable', '--control-socket', socket, ...args], {
    stdio: 'ignore',
    env: { ...process.env, ...env },
  })
  await listening(socket, Date.now() + 5000)
  return daemon
}

/**
 * Resolves once `socket` accepts a connection (or the deadline passes). The
 * socket file appears at bind(), a moment before listen(): a dial in between
 * is refused, so its existence is not enough.
 */
export async function listening(socket: string, deadline: number): Promise<void> {
  const { createConnection } = await import('node:net')
  while (Date.now() < deadline) {
    if (existsSync(socket)) {
      const accepted = await new Promise<boolean>((resolve) => {
        const probe = createConnection(socket)
        probe.once('connect', () => {
          probe.destroy()
          resolve(true)
        })
        probe.once('error', () => resolve(false))
      })
      if (accepted) return
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Polls `probe` until `done` holds (or `ms` pass) and returns the last value. */
export async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (done(v) || Date.now() > deadline) return v
    await new Promise((r) => setTimeout(r, 20))
  }
}
