// resultTool (core-spec §14.1, §18 case 30) and inspectTool against mock daemons.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { inspectTool, resultTool, socketsRoot } from '@dougbots/avenor-core'
import { MockServer, type Handler } from './helpers/mock-server'
import { useMockSupervisors } from './helpers/mock-supervisor'
import { useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
})
afterAll(() => home.cleanup())

const daemon = useMockSupervisors('result')

const terminal = {
  runtime_id: 'rt_1',
  phase: 'done',
  session_id: 'ses_1',
  stop_reason: 'end_turn',
  final_output: 'final answer',
  usage: { input_tokens: 1 },
  event_path: '/tmp/events.ndjson',
}

describe('resultTool', () => {
  it('returns exactly the documented fields with the lossless output', async () => {
    const s = await daemon((req) => ({ result: req.method === 'result' ? { final_output: 'final answer' } : terminal }))
    expect(await resultTool({ runId: 'run-1', supervisorId: s.path })).toEqual({
      run_id: 'run-1',
      label: 'run-1',
      status: 'done',
      ready: true,
      runtime_id: 'rt_1',
      session_id: 'ses_1',
      stop_reason: 'end_turn',
      output: 'final answer',
    })
    expect(s.methods('result')[0].params).toEqual({ runtime_id: 'rt_1' })
  })

  it('marks the preview as truncated when the result RPC fails', async () => {
    const s = await daemon((req) => (req.method === 'result' ? { error: { code: -32601, message: 'method not found' } } : { result: terminal }))
    expect(await resultTool({ runId: 'run-2', supervisorId: s.path })).toMatchObject({
      ready: true,
      output: 'final answer',
      output_truncated: true,
      output_event_path: '/tmp/events.ndjson',
    })
  })

  it('wait:false and waiting runs return at once', async () => {
    const s = await daemon(() => ({ result: { runtime_id: 'rt_1', phase: 'thinking' } }))
    const started = Date.now()
    expect(await resultTool({ runId: 'run-3', supervisorId: s.path, wait: false })).toEqual({ run_id: 'run-3', label: 'run-3', status: 'running', ready: false, runtime_id: 'rt_1' })
    expect(Date.now() - started).toBeLessThan(500)
    await s.close()
    const w = await daemon(() => ({
      result: { runtime_id: 'rt_1', phase: 'waiting', permission: { request_id: 'p1', question: 'ok?', options: [{ optionId: 'allow', name: 'Allow', kind: 'allow_once' }] } },
    }))
    expect(await resultTool({ runId: 'run-4', supervisorId: w.path })).toMatchObject({
      status: 'waiting',
      ready: false,
      pending_permission: { request_id: 'p1', description: 'ok?', options: [{ option_id: 'allow', label: 'Allow', kind: 'allow_once' }] },
    })
  })

  it('times out after the deadline: two polls, one sleep', async () => {
    const s = await daemon(() => ({ result: { runtime_id: 'rt_1', phase: 'working' } }))
    const started = Date.now()
    expect(await resultTool({ runId: 'run-5', supervisorId: s.path, timeout: '1s' })).toMatchObject({ status: 'running', ready: false, timed_out: true })
    expect(s.methods('status')).toHaveLength(2)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    await expect(resultTool({ runId: 'run-5', supervisorId: s.path, timeout: '5d' })).rejects.toThrow('invalid timeout: 5d')
  })

  it('an aborted signal rejects with AbortError before any status call, and stops a wait at once', async () => {
    const s = await daemon(() => ({ result: { runtime_id: 'rt_1', phase: 'working' } }))
    const err = await resultTool({ runId: 'run-6', supervisorId: s.path, signal: AbortSignal.abort() }).catch((e) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err.name).toBe('AbortError')
    expect(err.message).toBe('result wait cancelled')
    expect(s.methods('status')).toHaveLength(0)

    const controller = new AbortController()
    const waiting = resultTool({ runId: 'run-6', supervisorId: s.path, signal: controller.signal })
    await s.waitFor(() => s.methods('status').length === 1)
    const started = Date.now()
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', message: 'result wait cancelled' })
    expect(Date.now() - started).toBeLessThan(300)
  })
})

describe('inspectTool', () => {
  it('folds the run events and lays the status over the snapshot', async () => {
    const s = await daemon((req) => {
      if (req.method === 'status') return { result: { ...terminal, label: 'insp', event_path: '/nonexistent/events.log' } }
      if (req.method === 'history')
        return {
          result: {
            events: [
              { event: 'tool.call', seq: 1, toolCallId: 't1', title: 'bash', status: 'pending' },
              { event: 'agent.message_chunk', seq: 2, content: { type: 'text', text: 'final answer' } },
            ],
          },
        }
      return { result: {} }
    })
    const r = await inspectTool({ runId: 'run-7', supervisorId: s.path })
    expect(r).toMatchObject({ run_id: 'run-7', label: 'insp', status: { status: 'done' }, final_output: 'final answer' })
    expect(r.tools.map((t: any) => t.title)).toEqual(['bash'])
    expect(r.snapshot.identity).toMatchObject({ runtime_id: 'rt_1', run_label: 'insp', session_id: 'ses_1' })
    expect(r.snapshot.stop_reason).toBe('end_turn')
    expect(Object.keys(r.snapshot).some((k) => k.startsWith('_'))).toBe(false)
  })
})
