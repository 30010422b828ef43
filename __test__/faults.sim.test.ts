// Faults that used to hang or forget (issue: daemon crash, oversized request,
// re-attaching to the same daemon), end to end against avenor-sim.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Supervisor, resultTool, shutdownTool, spawnTool, statusTool } from '@dougbots/avenor-core'
import { join } from 'node:path'
import { pidAlive, simBinary, startSim, until, useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
  process.env.AVENOR_BIN = simBinary()
})
afterAll(async () => {
  await shutdownTool({})
  home.cleanup()
})

const statusOf = (runId: string) => statusTool({ runId }) as Promise<any>
const doneStatus = (runId: string) => until(() => statusOf(runId), (s) => s.status === 'done')

describe('the daemon connection', () => {
  it('a request over the 4 MiB line limit is refused before sending; earlier runs and the daemon stay', async () => {
    const first = await spawnTool({ prompt: 'say before the big one', label: 'before-big' })
    const before = await doneStatus(first.run_id)
    const big = spawnTool({ prompt: `say ${'x'.repeat(4 * 1024 * 1024)}`, label: 'big' })
    await expect(big).rejects.toThrow(
      /^write request: spawn request is \d+ bytes, over the daemon's limit of 4194304 bytes per request line; it was not sent/,
    )
    const after = await statusOf(first.run_id)
    expect(after).toMatchObject({ status: 'done', runtime_id: first.runtime_id, final_output: 'before the big one' })
    expect(after.pid).toBe(before.pid)
    // Just under the limit still goes through.
    const fits = await spawnTool({ prompt: `say ${'y'.repeat(4 * 1024 * 1024 - 300)}`, label: 'fits' })
    expect((await doneStatus(fits.run_id)).status).toBe('done')
  })

  it('re-attaching to the same daemon keeps what the supervisor knew about its runs', async () => {
    const run = await spawnTool({ prompt: 'say kept across the reconnect', label: 'kept' })
    const before = await doneStatus(run.run_id)
    const sup = Supervisor.currentInstance()!
    sup.getClient().close() // the connection ends; the daemon lives on
    const after = await statusOf('kept')
    expect(after).toMatchObject({
      run_id: run.run_id,
      status: 'done',
      runtime_id: run.runtime_id,
      final_output: 'kept across the reconnect',
    })
    expect(after.pid).toBe(before.pid)
    expect(Supervisor.currentInstance()).not.toBe(sup)
  })
})

describe('an explicit supervisor', () => {
  it("each tool's own connection is released before the next tool's mutating call", async () => {
    const socket = join(home.home, 'sockets', 'avenor-mcp-owner.sock')
    const daemon = await startSim(socket)
    try {
      await until(
        () => statusTool({ supervisorId: socket }).then(() => true, () => false),
        (ok) => ok,
      )
      // Each call dials, claims the daemon's owner, and closes; the next one
      // must not find the owner still held by the connection just closed.
      for (let i = 0; i < 60; i++) {
        const run = await spawnTool({ prompt: `say ${i}`, label: `owner-${i}`, supervisorId: socket })
        expect(run.supervisor_id).toBe(socket)
      }
      expect((await shutdownTool({ supervisorId: socket })).ok).toBe(true)
    } finally {
      daemon.kill('SIGKILL')
    }
  })
})

describe('a daemon killed under a run', () => {
  it('ends the run: status says failed with the signal, resultTool rejects, the next spawn starts a new daemon', async () => {
    const run = await spawnTool({ prompt: 'hang', label: 'doomed' })
    const { pid } = await until(() => statusOf(run.run_id), (s) => s.pid > 0)
    const waiting = resultTool({ runId: run.run_id }).then(
      () => new Error('resultTool resolved'),
      (error: Error) => error,
    )
    // A status asked on the host's loop just before the kill: its connection
    // may end under it; it still answers (without the daemon's view, if so).
    const inFlight = statusOf(run.run_id)
    process.kill(pid, 'SIGKILL')
    const deadline = new Promise<Error>((resolve) => setTimeout(() => resolve(new Error('still waiting after 5 s')), 5000))
    const error = await Promise.race([waiting, deadline])
    expect(error.message).toBe('the avenor daemon was killed by SIGKILL while the run was active')
    expect(await Promise.race([inFlight, deadline])).toMatchObject({ run_id: run.run_id, label: 'doomed' })

    for (const reference of [run.run_id, 'doomed']) {
      expect(await statusOf(reference)).toMatchObject({
        run_id: run.run_id,
        label: 'doomed',
        status: 'failed',
        error: 'the avenor daemon was killed by SIGKILL while the run was active',
      })
    }
    expect(await statusTool({ runId: 'doomed', view: 'lifecycle' })).toMatchObject({ status: 'failed' })
    expect(pidAlive(pid)).toBe(false)

    const next = await spawnTool({ prompt: 'say on a new daemon', label: 'after' })
    const done = await doneStatus(next.run_id)
    expect(done.pid).not.toBe(pid)
    expect((await statusOf(run.run_id)).status).toBe('failed')
    const list = (await statusTool({})) as any[]
    expect(list.find((r) => r.run_id === run.run_id)).toMatchObject({ status: 'failed' })
  })
})
