'use strict'
// One real call through a built addon: `node smoke-call.cjs <addon.node>` with
// AVENOR_BIN naming a daemon (avenor-sim). Spawns a run, waits until it is done,
// checks its output, shuts the daemon down. Plain CommonJS for old Nodes (the
// arm64 check runs Debian's Node 18 under qemu).
const { mkdtempSync, rmSync } = require('fs')
const { tmpdir } = require('os')
const { join, resolve } = require('path')

const addonPath = resolve(process.argv[2])
const core = require(addonPath)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'avenor-smoke-'))
  process.env.AVENOR_HOME = home
  try {
    const run = await core.spawnTool({ prompt: 'say smoke ok', label: 'smoke', dir: home })
    const deadline = Date.now() + 120000
    let status
    do {
      await sleep(50)
      status = await core.statusTool({ runId: run.run_id })
    } while (status.status === 'running' && Date.now() < deadline)
    if (status.status !== 'done' || status.final_output !== 'smoke ok') {
      throw new Error(`unexpected status: ${JSON.stringify(status)}`)
    }
    const { ok } = await core.shutdownTool({})
    if (ok !== true) throw new Error('shutdown did not answer ok')
    console.log(`smoke: ${process.arch} ${addonPath}: run ${run.run_id} done, output "${status.final_output}"`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

main().catch((error) => {
  console.error('smoke: failed:', error)
  process.exit(1)
})
