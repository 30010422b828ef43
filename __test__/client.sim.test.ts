// The client against avenor-sim, in both per-connection dispatch modes (protocol
// §1.4): spawn, subscribe with replay, stream, answer a permission, sentinel,
// result, cancel, shutdown.
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dial, type Client } from '@dougbots/avenor-core'
import { startSim } from './helpers/sim'

for (const dispatch of ['sequential', 'concurrent'] as const) {
  describe(`avenor-sim with ${dispatch} dispatch`, () => {
    let dir: string
    let socket: string
    let daemon: ChildProcess
    let client: Client

    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'avenor-client-sim-'))
      socket = join(dir, 'ctl.sock')
      daemon = await startSim(socket, [], { AVENOR_SIM_DISPATCH: dispatch, TMPDIR: dir })
      client = await dial(socket)
    })
    afterEach(() => {
      client.close()
      daemon.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
    })

    it('streams a run with a permission round trip, then reads sentinel, result and history', async () => {
      const spawned = await client.spawn({ prompt: 'say one; permission bash; say two', label: 'perm' })
      const rt = spawned.runtime_id!
      expect(rt).toMatch(/^rt_\d+$/)
      const seen: string[] = []
      for await (const ev of client.events({ runtime_id: rt, replay: true })) {
        seen.push(ev.event as string)
        if (ev.event === 'permission.request') {
          expect(ev.resolver).toBe('reserved')
          await client.answerPermission(rt, ev.request_id as string, 'allow')
        }
        if (ev.event === 'session.end') {
          expect(ev.stop_reason).toBe('end_turn')
          expect(ev.final_output).toBe('onepermission grantedtwo')
          break
        }
      }
      expect(seen).toEqual(expect.arrayContaining(['agent.message_chunk', 'permission.request', 'permission.response', 'session.end']))
      expect(seen.indexOf('permission.request')).toBeLessThan(seen.indexOf('permission.response'))

      const sentinel = readFileSync(spawned.sentinel_file as string, 'utf8')
      expect(sentinel).toMatch(/^DONE\nSESSION=ses_\d+\nSTOP_REASON=end_turn\nRUN=[0-9a-f]{16}\n$/)
      expect(await client.result(rt)).toEqual({ final_output: 'onepermission grantedtwo' })
      const history = await client.history({ runtime_id: rt, after_seq: 1 })
      expect(history.runtime_id).toBe(rt)
      expect(history.events.every((e: any) => e.seq > 1)).toBe(true)
      expect(history.latest_seq).toBe(history.events.at(-1)!.seq)
    })

    it('replays from after_seq without duplicates', async () => {
      const { runtime_id } = await client.spawn({ prompt: 'chunks 5' })
      await expect.poll(async () => (await client.status(runtime_id)).phase, { timeout: 5000 }).toBe('done')
      const seqs: number[] = []
      for await (const ev of client.events({ runtime_id, replay: true, after_seq: 2 })) {
        seqs.push(ev.seq as number)
        if (ev.event === 'session.end') break
      }
      expect(seqs[0]).toBe(3)
      expect(new Set(seqs).size).toBe(seqs.length)
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    })

    it('cancels a hanging run (KILLED sentinel) and reads an 8 MiB result intact', async () => {
      const hanging = await client.spawn({ prompt: 'hang' })
      await expect.poll(async () => (await client.status(hanging.runtime_id)).status, { timeout: 5000 }).toBe('running')
      await client.cancel(hanging.runtime_id)
      await expect.poll(async () => (await client.status(hanging.runtime_id)).status, { timeout: 5000 }).toBe('ended')
      expect(readFileSync(hanging.sentinel_file as string, 'utf8')).toMatch(/^KILLED\n.*STOP_REASON=cancelled\nEXIT_CODE=130\n/s)

      const big = await client.spawn({ prompt: `bytes ${8 * 1024 * 1024}` })
      await expect.poll(async () => (await client.status(big.runtime_id)).phase, { timeout: 10_000 }).toBe('done')
      const { final_output } = await client.result(big.runtime_id)
      expect(final_output.length).toBe(8 * 1024 * 1024)
      expect(/^x+$/.test(final_output)).toBe(true)
    })

    it('answers errors with rpcCode and shuts down', async () => {
      const err = await client.status('rt_404').catch((e) => e)
      expect(err.message).toBe('rpc error [-32000]: runtime "rt_404" not found')
      expect(err.rpcCode).toBe(-32000)
      await client.shutdown('graceful').catch((e: Error) => expect(e.message).toBe('read response: connection closed'))
      await expect.poll(() => client.isClosed(), { timeout: 5000 }).toBe(true)
      await expect(client.status()).rejects.toThrow('control socket is closed')
    })

    if (dispatch === 'concurrent') {
      it('a parked long-poll does not hold up later calls on the same connection', async () => {
        const { runtime_id } = await client.spawn({ prompt: 'say first' })
        await expect.poll(async () => (await client.status(runtime_id)).phase, { timeout: 5000 }).toBe('done')
        const waiting = client.call('wait_turn', { runtime_id })
        let settled = false
        void waiting.then(() => (settled = true))
        expect(typeof (await client.status(runtime_id))).toBe('object')
        expect(settled).toBe(false)
        await client.prompt(runtime_id, 'say second')
        expect(await waiting).toMatchObject({ runtime_id, final_output: 'second', stop_reason: 'end_turn' })
      })
    }
  })
}
