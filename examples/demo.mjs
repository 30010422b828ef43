// `npm run demo`: the quick start against avenor-sim, the simulated daemon built
// by `npm run build`, in a throwaway AVENOR_HOME.
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)
if (!sim) {
  console.error('avenor-sim is not built: run `npm run build` first')
  process.exit(1)
}
const home = mkdtempSync(join(tmpdir(), 'avenor-demo-'))
process.env.AVENOR_BIN ??= sim
process.env.AVENOR_HOME = home
try {
  await import('./quickstart.mjs')
} finally {
  rmSync(home, { recursive: true, force: true })
}
