// The quick start of @dougbots/avenor-core: spawn a run, wait until it is done,
// read its events, send a follow-up, shut down. Uses whichever avenor binary
// findAvenorBinary() finds (AVENOR_BIN, PATH, …); `npm run demo` points it at
// the simulated daemon.
import { eventsTool, followUpTool, shutdownTool, spawnTool, statusTool } from '@dougbots/avenor-core'

const prompt = process.env.QUICKSTART_PROMPT ?? 'think planning; tool read_file; say The answer is 42.'
const followUp = process.env.QUICKSTART_FOLLOW_UP ?? 'say And the question is still open.'

async function waitUntilDone(runId) {
  for (;;) {
    const status = await statusTool({ runId })
    if (status.status !== 'running') return status
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const run = await spawnTool({ prompt, label: 'quickstart', dir: process.cwd() })
console.log(`spawned ${run.label}: run_id=${run.run_id} runtime_id=${run.runtime_id}`)
console.log(`supervisor: ${run.supervisor_id}`)

const status = await waitUntilDone(run.run_id)
console.log(`status: ${status.status} (stop_reason=${status.stop_reason}, session=${status.session_id})`)
console.log(`output: ${status.final_output}`)

const { events } = await eventsTool({ runId: run.run_id, limit: 20 })
console.log(`events: ${events.map((e) => e.event).join(', ')}`)

const next = await followUpTool({ runId: run.run_id, message: followUp })
const nextStatus = await waitUntilDone(next.run_id)
console.log(`follow-up ${next.label}: ${nextStatus.status}, output: ${nextStatus.final_output}`)

const { ok, cleaned_up } = await shutdownTool({})
console.log(`shutdown: ok=${ok}, removed ${cleaned_up.length} run files`)
