// simulatorPath() in a source checkout: the addon built by `npm run build` sits at
// the checkout's root, so the simulator is the checkout's own target/ build. (The
// installed case, avenor-sim beside the addon in the platform package, is
// __test__/package.spec.mjs.)
import { accessSync, constants } from 'node:fs'
import { createRequire } from 'node:module'
import { afterAll, expect, it } from 'vitest'
import { simBinary, useTempHome } from './helpers/sim'

const require = createRequire(import.meta.url)
const core = require('@dougbots/avenor-core')
const { cleanup } = useTempHome()
afterAll(cleanup)

it('names the executable avenor-sim that this checkout built', () => {
  const path = core.simulatorPath()
  expect(path).toBe(simBinary())
  expect(() => accessSync(path, constants.X_OK)).not.toThrow()
})

it('returns a path that works as AVENOR_BIN for a real run', async () => {
  process.env.AVENOR_BIN = core.simulatorPath()
  const run = await core.spawnTool({ prompt: 'say simulator ok', label: 'simulator' })
  let status
  for (let i = 0; i < 200; i++) {
    status = await core.statusTool({ runId: run.run_id })
    if (status.status !== 'running') break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  expect(status).toMatchObject({ status: 'done', final_output: 'simulator ok' })
  expect((await core.shutdownTool({})).ok).toBe(true)
})
