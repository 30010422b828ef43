// Event normalisation, the reducer and observeRun (core-spec §15).
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_RUN_REDUCER_LIMITS,
  RunReducer,
  createRunSnapshot,
  dial,
  extractEventText,
  normalizeRunEvent,
  observeRun,
  reduceRunSnapshot,
} from '@dougbots/avenor-core'
import { startSim } from './helpers/sim'

const chunk = (seq: number, text: string, extra: Record<string, unknown> = {}) => ({
  event: 'agent.message_chunk',
  runtime_id: 'rt_1',
  seq,
  content: { type: 'text', text },
  ...extra,
})

describe('normalisation', () => {
  it('extractEventText finds the first text', () => {
    expect(extractEventText({ event: 'agent.message', seq: 2, delta: 'hello' })).toBe('hello')
    expect(extractEventText({ content: [{ text: 'a' }, { text: 'b' }] })).toBe('ab')
    expect(extractEventText({ nothing: 1 })).toBeUndefined()
    expect(extractEventText('x', 12)).toBeUndefined()
  })

  it('normalizeRunEvent maps fields and aliases', () => {
    expect(normalizeRunEvent({ nope: 1 })).toBeNull()
    expect(normalizeRunEvent('text')).toBeNull()
    const n = normalizeRunEvent({ event: 'avenor.message.delta', runId: 'r', sessionId: 's', seq: '4', delta: 'hi' })!
    expect(n).toMatchObject({ event: 'agent.message_chunk', alias: true, run_id: 'r', session_id: 's', seq: 4, chunk_role: 'assistant', delta: 'hi', source_event: 'avenor.message.delta' })
    const tool = normalizeRunEvent({ event: 'avenor.tool.end', toolCallId: 't1', toolName: 'bash' })!
    expect(tool).toMatchObject({ event: 'tool.call_update', tool: { id: 't1', title: 'bash', status: 'completed', key: 't1' } })
  })
})

describe('reducer', () => {
  it('has the documented default limits and a spreadable fresh snapshot', () => {
    expect(DEFAULT_RUN_REDUCER_LIMITS).toEqual({ transcript_entries: 64, text_chars: 4000, tool_preview_chars: 1000, tools: 24, permissions: 16, legacy_keys: 128 })
    const fresh = { ...createRunSnapshot(), identity: { run_id: 'r' } }
    expect(fresh).toMatchObject({ ended: false, transcript: [], live_tools: [], identity: { run_id: 'r' } })
  })

  it('drops repeated seqs per scope and merges consecutive chunks', () => {
    const r = new RunReducer()
    r.apply(chunk(1, 'Hel'))
    r.apply(chunk(2, 'lo'))
    r.apply(chunk(2, 'lo'))
    const s = r.apply(chunk(1, 'stale'))
    expect(s.assistant_text).toBe('Hello')
    expect(s.latest_seq).toBe(2)
    expect(s.transcript).toHaveLength(1)
    expect(s.transcript[0]).toMatchObject({ kind: 'assistant', text: 'Hello' })
    // Another runtime has its own scope.
    expect(r.apply(chunk(1, '!', { runtime_id: 'rt_2' })).assistant_text).toBe('Hello!')
  })

  it('ignores an alias event that repeats the previous event', () => {
    const r = new RunReducer()
    r.apply({ event: 'agent.message_chunk', delta: 'same', ts: 1 })
    const s = r.apply({ event: 'avenor.message.delta', delta: 'same', ts: 1 })
    expect(s.assistant_text).toBe('same')
  })

  it('clips long texts keeping the tail', () => {
    const r = new RunReducer({ text_chars: 5 })
    expect(r.apply(chunk(1, 'abcdefgh')).assistant_text).toBe('defgh')
  })

  it('tools, permissions and session.end', () => {
    let s = createRunSnapshot()
    s = reduceRunSnapshot(s, { event: 'tool.call', seq: 1, toolCallId: 't1', title: 'bash', status: 'pending' })
    expect(s.live_tools.map((t: any) => t.key)).toEqual(['t1'])
    s = reduceRunSnapshot(s, { event: 'tool.call_update', seq: 2, toolCallId: 't1', status: 'completed' })
    expect(s.live_tools).toEqual([])
    s = reduceRunSnapshot(s, { event: 'permission.request', seq: 3, request_id: 'p1', question: 'Run it?', options: [{ optionId: 'allow', name: 'Allow', kind: 'allow_once' }] })
    expect(s.phase).toBe('waiting')
    expect(s.pending_permission).toMatchObject({ request_id: 'p1', question: 'Run it?' })
    s = reduceRunSnapshot(s, { event: 'permission.response', seq: 4, request_id: 'p1', kind: 'allow' })
    expect(s.pending_permission).toBeUndefined()
    s = reduceRunSnapshot(s, chunk(5, 'done'))
    s = reduceRunSnapshot(s, { event: 'session.end', seq: 6, stop_reason: 'end_turn' })
    expect(s).toMatchObject({ ended: true, phase: 'done', stop_reason: 'end_turn', final_output: 'done' })
  })
})

describe('observeRun with a hand-written client', () => {
  function fakeClient(events: unknown[]) {
    const calls = { returns: 0, closes: 0, options: undefined as unknown }
    let release: () => void = () => {}
    const client = {
      events(options: unknown) {
        calls.options = options
        let i = 0
        return {
          next: () =>
            i < events.length
              ? Promise.resolve({ value: events[i++], done: false })
              : new Promise((resolve) => (release = () => resolve({ value: undefined, done: true }))),
          return: () => {
            calls.returns++
            release()
            return Promise.resolve({ value: undefined, done: true })
          },
        }
      },
      close() {
        calls.closes++
      },
    }
    return { client, calls }
  }

  it('folds events, notifies listeners, resolves next(predicate) and closes once', async () => {
    const { client, calls } = fakeClient([chunk(1, 'a'), { event: 'agent.status', seq: 2, phase: 'working' }, chunk(3, 'b')])
    const seen: string[] = []
    const observer = observeRun(client, { runtime_id: 'rt_1', close_client: true })
    const unsubscribe = observer.subscribe((snapshot: any, event: any) => seen.push(`${event.seq}:${snapshot.assistant_text}`))
    expect(calls.options).toEqual({ runtime_id: 'rt_1', replay: true })
    const working = await observer.next((s: any) => s.phase === 'working')
    expect(working!.phase).toBe('working')
    const last = await observer.next((s: any) => s.assistant_text === 'ab')
    expect(last!.latest_seq).toBe(3)
    unsubscribe()
    expect(seen).toEqual(['1:a', '2:a', '3:ab'])
    expect(observer.snapshot().assistant_text).toBe('ab')
    const pending = observer.next()
    const closing = observer.close()
    expect(closing).toBeInstanceOf(Promise)
    await closing
    expect(await pending).toBeNull()
    await observer.close()
    expect(observer.closed).toBe(true)
    expect(calls.returns).toBe(1)
    expect(calls.closes).toBe(1)
  })

  it('accepts an async iterable whose events come from [Symbol.asyncIterator]() (no next of its own)', async () => {
    // An async generator, as `events()` might return from an `async *` method.
    const generated = observeRun({
      events: () => ({
        async *[Symbol.asyncIterator]() {
          yield chunk(1, 'it')
          yield chunk(2, 'erable')
        },
      }),
    })
    const snapshot = await generated.next((s: any) => s.assistant_text === 'iterable')
    expect(snapshot!.latest_seq).toBe(2)
    expect(await generated.next()).toBeNull()
    expect(generated.closed).toBe(true)

    // close() returns the iterator that [Symbol.asyncIterator]() made.
    let returns = 0
    let release: () => void = () => {}
    const iterable = {
      [Symbol.asyncIterator]() {
        let i = 0
        return {
          next: () =>
            i++ === 0
              ? Promise.resolve({ value: chunk(1, 'x'), done: false })
              : new Promise((resolve) => (release = () => resolve({ value: undefined, done: true }))),
          return: () => {
            returns++
            release()
            return Promise.resolve({ value: undefined, done: true })
          },
        }
      },
    }
    const observer = observeRun({ events: () => iterable as any })
    expect((await observer.next())!.assistant_text).toBe('x')
    const pending = observer.next()
    await observer.close()
    expect(await pending).toBeNull()
    expect(returns).toBe(1)
  })

  it('rejects next() when the stream fails', async () => {
    const client = { events: () => ({ next: () => Promise.reject(new Error('stream broke')) }) }
    const observer = observeRun(client as any)
    await expect(observer.next()).rejects.toThrow('stream broke')
    await expect(observer.next()).rejects.toThrow('stream broke')
  })
})

describe('observeRun following avenor-sim', () => {
  let dir: string
  let socket: string
  let daemon: ChildProcess
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'avenor-observe-'))
    socket = join(dir, 'ctl.sock')
    daemon = await startSim(socket, [], { TMPDIR: dir })
  })
  afterAll(() => {
    daemon.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('follows a run from spawn to session.end, then resumes after a seq', async () => {
    const owner = await dial(socket)
    const { runtime_id } = await owner.spawn({ prompt: 'think plan; tool read_file; say all done' })
    const observer = observeRun(await dial(socket), { runtime_id, close_client: true })
    const ended = await observer.next((s: any) => s.ended)
    expect(ended).toMatchObject({ ended: true, stop_reason: 'end_turn', final_output: 'all done', identity: { runtime_id } })
    expect(ended!.tools.map((t: any) => t.title)).toEqual(['read_file'])
    await observer.close()

    // A second observer replays only what came after seq 3.
    const resumed = observeRun(await dial(socket), { runtime_id, after_seq: 3, close_client: true })
    const again = await resumed.next((s: any) => s.ended)
    expect(again!.transcript.some((e: any) => e.kind === 'thought')).toBe(false)
    expect(again!.final_output).toBe('all done')
    await resumed.close()
    owner.close()
  })
})
