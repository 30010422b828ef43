// Tool conformance cases of core-spec §18 against mock daemons placed inside
// socketsRoot(), so that they are valid explicit supervisors.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { answerPermissionTool, eventsTool, followUpTool, socketsRoot, spawnTool, statusTool } from '@dougbots/avenor-core'
import { MockServer, type Handler } from './helpers/mock-server'
import { useMockSupervisors } from './helpers/mock-supervisor'
import { useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
})
afterAll(() => home.cleanup())

const daemon = useMockSupervisors('mock')

function writeRun(runId: string, files: { sentinel?: string; events?: unknown[] }) {
  const dir = join(home.home, 'runs', runId)
  mkdirSync(dir, { recursive: true })
  if (files.sentinel !== undefined) writeFileSync(join(dir, 'sentinel.done'), files.sentinel)
  if (files.events) writeFileSync(join(dir, 'events.log'), files.events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  return dir
}

describe('eventsTool (case 31)', () => {
  it('reads the log file, filters by type, never asks history', async () => {
    const log = join(writeRun('ev-run', { events: [{ event: 'agent.message_chunk', seq: 1 }, { event: 'tool.call', seq: 300 }] }), 'events.log')
    const s = await daemon((req) => (req.method === 'status' ? { result: { runtime_id: 'rt_1', event_path: log } } : { result: {} }))
    const out = await eventsTool({ runId: 'ev-run', supervisorId: s.path, types: ['agent.message_chunk'] })
    expect(out).toEqual({ events: [{ event: 'agent.message_chunk', seq: 1 }] })
    expect(s.methods('history')).toHaveLength(0)
  })

  it('limit, after_seq and types (matched on event, else type) together', async () => {
    const events = [
      { event: 'tool.call', seq: 1 },
      { event: 'tool.call', seq: 2 },
      { event: 'agent.message_chunk', seq: 3 },
      { type: 'session.end', seq: 4 },
    ]
    const log = join(writeRun('ev-filter', { events }), 'events.log')
    const s = await daemon(() => ({ result: { runtime_id: 'rt_2', on_event: log } }))
    const out = await eventsTool({ runId: 'ev-filter', supervisorId: s.path, limit: 2, after_seq: 1, types: ['tool.call', 'session.end'] })
    expect(out.events).toEqual([{ event: 'tool.call', seq: 2 }, { type: 'session.end', seq: 4 }])
  })

  it('clips a 128 KiB string to its last 4000 characters', async () => {
    const output = 'a'.repeat(128 * 1024 - 4000) + 'b'.repeat(4000)
    const log = join(writeRun('ev-big', { events: [{ event: 'tool.call_update', seq: 1, output }] }), 'events.log')
    const s = await daemon(() => ({ result: { runtime_id: 'rt_3', event_path: log } }))
    const out = await eventsTool({ runId: 'ev-big', supervisorId: s.path })
    expect(out.events[0].output).toBe('b'.repeat(4000))
  })

  it('falls back to history, and fails with an AggregateError when both sources fail', async () => {
    const s = await daemon((req) => {
      if (req.method === 'status') return { result: { runtime_id: 'rt_4', event_path: join(home.home, 'missing', 'events.log') } }
      if (req.method === 'history') return { result: { events: [{ event: 'x', seq: 1 }, { event: 'y', seq: 2 }] } }
      return { result: {} }
    })
    expect(await eventsTool({ runId: 'ev-hist', supervisorId: s.path, types: ['y'] })).toEqual({ events: [{ event: 'y', seq: 2 }] })
    expect(s.methods('history')[0].params).toEqual({ runtime_id: 'rt_4', limit: 50 })
    await s.close()

    const failing = await daemon((req) =>
      req.method === 'status'
        ? { result: { runtime_id: 'rt_5', event_path: join(home.home, 'missing', 'events.log') } }
        : { error: { code: -32000, message: 'history broke' } },
    )
    const err = await eventsTool({ runId: 'ev-none', supervisorId: failing.path }).catch((e) => e)
    expect(err).toBeInstanceOf(AggregateError)
    expect(err.message).toBe('unable to read events for run ev-none')
    expect(err.errors.map((e: Error) => e.message)).toContain('rpc error [-32000]: history broke')
  })

  it('a FIFO as the log is refused at once and history answers, even for concurrent calls', async () => {
    const dir = join(home.home, 'runs', 'ev-fifo')
    mkdirSync(dir, { recursive: true })
    const fifo = join(dir, 'events.log')
    execFileSync('mkfifo', [fifo])
    const s = await daemon((req) => {
      if (req.method === 'status') return { result: { runtime_id: 'rt_6', event_path: fifo } }
      if (req.method === 'history') return { result: { events: [{ event: 'x', seq: 1 }] } }
      return { result: {} }
    })
    // Before the fix each call blocked a Tokio worker on open(); two of them
    // (one per core) starved every other call, so this test timed out.
    const calls = [1, 2, 3].map(() => eventsTool({ runId: 'ev-fifo', supervisorId: s.path }))
    for (const out of await Promise.all(calls)) expect(out).toEqual({ events: [{ event: 'x', seq: 1 }] })

    const failing = await daemon((req) =>
      req.method === 'status' ? { result: { runtime_id: 'rt_7', event_path: fifo } } : { error: { code: -32000, message: 'history broke' } },
    )
    const err = await eventsTool({ runId: 'ev-fifo', supervisorId: failing.path }).catch((e) => e)
    expect(err).toBeInstanceOf(AggregateError)
    expect(err.errors.map((e: Error) => e.message)).toContain(`read ${fifo}: not a regular file (it is a FIFO)`)
  }, 5_000)

  it('fails to resolve when status and list both fail', async () => {
    const s = await daemon(() => ({ error: { code: -32000, message: 'nope' } }))
    const err = await eventsTool({ runId: 'ev-lost', supervisorId: s.path }).catch((e) => e)
    expect(err).toBeInstanceOf(AggregateError)
    expect(err.message).toBe('unable to resolve run ev-lost')
    expect(err.errors).toHaveLength(2)
  })
})

describe('spawnTool forwarding (cases 22, 23)', () => {
  async function spawnedParams(args: Record<string, unknown>) {
    const s = await daemon(() => ({ result: { runtime_id: 'rt-external-conflict' } }))
    const result = await spawnTool({ prompt: 'start', ...args, supervisorId: s.path })
    const params = s.methods('spawn')[0].params as Record<string, unknown>
    await s.close()
    return { result, params }
  }

  it('forwards agent only when non-empty, and thinking when given', async () => {
    expect('agent' in (await spawnedParams({})).params).toBe(false)
    expect('model' in (await spawnedParams({})).params).toBe(false)
    expect((await spawnedParams({ model: 'sonnet' })).params.model).toBe('sonnet')
    expect((await spawnedParams({ agent: 'codex', model: 'sonnet' })).params).toMatchObject({ agent: 'codex', model: 'sonnet' })
    expect('agent' in (await spawnedParams({ agent: '', model: 'sonnet' })).params).toBe(false)
    expect((await spawnedParams({ thinking: 'xhigh' })).params.thinking).toBe('xhigh')
    expect('thinking' in (await spawnedParams({})).params).toBe(false)
    expect((await spawnedParams({ timeout: '5m' })).params.timeout).toBe(300)
  })

  it('an external spawn returns the public UUID and the run paths', async () => {
    const { result, params } = await spawnedParams({ label: 'external conflict' })
    expect(result.run_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(result.run_id).not.toBe(result.runtime_id)
    expect(result.runtime_id).toBe('rt-external-conflict')
    expect(params.sentinel_file).toBe(join(home.home, 'runs', result.run_id, 'sentinel.done'))
    expect(params.on_event).toBe(join(home.home, 'runs', result.run_id, 'events.log'))
    expect(params.label).toBe('external conflict')
  })

  it('rejects an invalid supervisorId', async () => {
    await expect(spawnTool({ prompt: 'x', supervisorId: '/tmp/x.sock' })).rejects.toThrow('invalid supervisorId: /tmp/x.sock')
  })
})

describe('followUpTool (cases 25–29)', () => {
  async function followUp(live: Record<string, unknown>, sentinel?: string) {
    if (sentinel !== undefined) writeRun('original-run', { sentinel })
    const s = await daemon((req) => {
      if (req.method === 'status') return { result: live }
      if (req.method === 'spawn') return { result: { runtime_id: 'rt-followup' } }
      return { result: {} }
    })
    const result = await followUpTool({ runId: 'original-run', message: 'continue', supervisorId: s.path }).catch((e: Error) => e)
    const spawn = s.methods('spawn')[0]?.params as Record<string, unknown> | undefined
    await s.close()
    return { result, spawn }
  }

  it('25: resumes the sentinel session with the live agent', async () => {
    const { result, spawn } = await followUp({ agent: 'jockey' }, 'DONE\nSESSION=ses-original\n')
    const r = result as { run_id: string; runtime_id: string }
    expect(r.runtime_id).toBe('rt-followup')
    expect(r.run_id).not.toBe('rt-followup')
    expect(spawn).toMatchObject({
      agent: 'jockey',
      prompt: 'continue',
      session_id: 'ses-original',
      sentinel_file: join(home.home, 'runs', r.run_id, 'sentinel.done'),
      on_event: join(home.home, 'runs', r.run_id, 'events.log'),
    })
  })

  it('26: refuses a session_id_conflict without spawning', async () => {
    const { result, spawn } = await followUp({}, 'FAILED\nSESSION=ses-x\nSTOP_REASON=session_id_conflict\nEXIT_CODE=1\n')
    expect((result as Error).message).toBe('run is not resumable: session_id_conflict')
    expect(spawn).toBeUndefined()
  })

  it('27: auto_approve only from a live boolean true', async () => {
    expect((await followUp({ auto_approve: true }, 'DONE\nSESSION=s\n')).spawn?.auto_approve).toBe(true)
    for (const v of [false, undefined, 'true']) {
      const { spawn } = await followUp(v === undefined ? {} : { auto_approve: v }, 'DONE\nSESSION=s\n')
      expect(spawn && 'auto_approve' in spawn).toBe(false)
    }
  })

  it('28: resolved identity, never the roster selectors', async () => {
    const { spawn } = await followUp(
      { session_id: 'ses-roster', effective_agent: 'resolved-agent', effective_model: 'resolved-model', effective_backend: 'agy', roster_file: '/r.json', roster_entry: 'e' },
      '',
    )
    expect(spawn).toMatchObject({ agent: 'resolved-agent', model: 'resolved-model', backend: 'agy', session_id: 'ses-roster' })
    expect('roster_file' in spawn!).toBe(false)
    expect('roster_entry' in spawn!).toBe(false)
  })

  it('29: a session alone is enough; no session anywhere is an error', async () => {
    writeRun('original-run', { sentinel: '' })
    const { spawn } = await followUp({ session_id: 'ses-without-agent' })
    expect(spawn).toMatchObject({ prompt: 'continue', session_id: 'ses-without-agent' })
    expect('agent' in spawn!).toBe(false)
    expect('model' in spawn!).toBe(false)
    const { result } = await followUp({})
    expect((result as Error).message).toBe('run has no session to resume')
  })
})

describe('answerPermissionTool (case 32)', () => {
  it('sends exactly runtime_id, request_id, option_id', async () => {
    const s = await daemon((req) =>
      req.method === 'status' ? { result: { pending_permission: true, permission: { request_id: 'req-control' } } } : { result: { accepted: true } },
    )
    expect(await answerPermissionTool({ runId: 'rt_7', optionId: 'allow', supervisorId: s.path })).toEqual({ ok: true })
    expect(s.methods('answer_permission')[0].params).toEqual({ runtime_id: 'rt_7', request_id: 'req-control', option_id: 'allow' })
  })

  it('without a pending request it says so', async () => {
    const s = await daemon(() => ({ result: { pending_permission: true } }))
    await expect(answerPermissionTool({ runId: 'rt_8', optionId: 'allow', supervisorId: s.path })).rejects.toThrow(
      'no pending permission request for this run',
    )
  })
})

describe('external registry (case 34)', () => {
  it('an alias never shadows an exact id, and other supervisors see nothing', async () => {
    let runtime = 0
    const s = await daemon((req) => {
      if (req.method === 'spawn') return { result: { runtime_id: `rt_ext_${++runtime}` } }
      if (req.method === 'status') return { error: { code: -32000, message: 'not found' } }
      return { result: [] }
    })
    const first = await spawnTool({ prompt: 'a', label: 'one', supervisorId: s.path })
    const second = await spawnTool({ prompt: 'b', label: first.run_id, supervisorId: s.path })
    expect(second.runtime_id).toBe('rt_ext_2')
    const found = (await statusTool({ runId: first.run_id, supervisorId: s.path })) as any
    expect(found).toMatchObject({ run_id: first.run_id, label: 'one', runtime_id: 'rt_ext_1' })
    const other = await MockServer.start(() => ({ error: { code: -32000, message: 'not found' } }), join(socketsRoot(), 'avenor-mcp-other.sock'))
    try {
      const unknown = (await statusTool({ runId: first.run_id, supervisorId: other.path })) as any
      expect(unknown.runtime_id).toBeUndefined()
      expect(unknown.label).toBe(first.run_id)
    } finally {
      await other.close()
    }
  })
})

describe('statusTool for a tracked run whose live status fails (case 18)', () => {
  it('reports the sentinel and asks the daemon once, by the stored runtime id', async () => {
    const s = await daemon((req) =>
      req.method === 'spawn' ? { result: { runtime_id: 'rt-tracked' } } : { error: { code: -32000, message: 'boom' } },
    )
    const run = await spawnTool({ prompt: 'x', label: 'tracked', supervisorId: s.path })
    writeRun(run.run_id, { sentinel: 'DONE\nSESSION=ses-1234\nSTOP_REASON=end_turn\n' })
    const before = s.methods('status').length
    expect(await statusTool({ runId: run.run_id, supervisorId: s.path })).toEqual({
      run_id: run.run_id,
      label: 'tracked',
      status: 'done',
      runtime_id: 'rt-tracked',
      session_id: 'ses-1234',
      stop_reason: 'end_turn',
    })
    const calls = s.methods('status').slice(before)
    expect(calls).toHaveLength(1)
    expect(calls[0].params).toEqual({ runtime_id: 'rt-tracked' })
  })
})
