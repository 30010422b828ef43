// Processes found by their command line in /proc (Linux): how the child-process
// tests and the reliability benchmark find a daemon by its socket path.
import { readdirSync, readFileSync } from 'node:fs'

/** Pids whose command line mentions `needle`. */
export function pidsMentioning(needle) {
  const found = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) found.push(Number(entry))
    } catch {}
  }
  return found
}
