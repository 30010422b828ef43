// Broker tools (core-spec §14.3) and conformance case 33, against mock daemons
// placed inside socketsRoot() so that they are valid explicit supervisors.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { askTool, brokerReceiveTool, brokerReplyTool, cancelTool, peersTool, socketsRoot } from '@dougbots/avenor-core'
import { MockServer, type Handler } from './helpers/mock-server'
import { useMockSupervisors } from './helpers/mock-supervisor'
import { useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
})
afterAll(() => home.cleanup())

const daemon = useMockSupervisors('broker')

/** Connections the mock still holds open (the helper keeps them privately). */
function openConnections(s: MockServer): number {
  return (s as unknown as { sockets: Set<unknown> }).sockets.size
}

/** The tool's own connection is closed once its promise settled. */
async function expectClosed(s: MockServer) {
  await s.waitFor(() => openConnections(s) === 0)
}

async function ask(result: unknown) {
  const s = await daemon(() => ({ result }))
  const out = await askTool({ toRunId: 'rt_1', message: 'hello', supervisorId: s.path })
  return { out, s }
}

describe('askTool (case 33)', () => {
  it('returns the reply payload and the sender, sending exactly to_run_id, message and role', async () => {
    const { out, s } = await ask({ payload: { message: 'hello back' }, from_run_id: 'sender' })
    expect(out).toEqual({ reply: 'hello back', from_run_id: 'sender' })
    expect(s.requests).toHaveLength(1)
    expect(s.requests[0].method).toBe('broker_ask')
    expect(s.requests[0].params).toEqual({ to_run_id: 'rt_1', message: 'hello', role: 'agent' })
    await expectClosed(s)
  })

  it('marks a timeout and a cancel', async () => {
    expect((await ask({ timeout: true })).out).toEqual({ reply: '(timeout: no reply received)', from_run_id: '' })
    expect((await ask({ cancelled: true, from_run_id: 'x' })).out).toEqual({ reply: '(cancelled)', from_run_id: 'x' })
  })

  it('falls back to the JSON text of an unknown reply', async () => {
    const { out } = await ask({ weird: 1 })
    expect(out.reply).toContain('weird')
    expect(out).toEqual({ reply: '{"weird":1}', from_run_id: '' })
  })

  it('an empty payload message also falls back to JSON', async () => {
    const { out } = await ask({ payload: { message: '' }, from_run_id: 'rt_9' })
    expect(out).toEqual({ reply: '{"payload":{"message":""},"from_run_id":"rt_9"}', from_run_id: 'rt_9' })
  })

  it('propagates RPC errors and still closes its connection', async () => {
    const s = await daemon(() => ({ error: { code: -32010, message: 'permission_denied' } }))
    await expect(askTool({ toRunId: 'rt_1', message: 'hello', supervisorId: s.path })).rejects.toThrow(
      'rpc error [-32010]: permission_denied',
    )
    await expectClosed(s)
  })
})

describe('cancelTool (case 33)', () => {
  it('cancels by message id and closes the connection', async () => {
    const s = await daemon(() => ({ result: { ok: true } }))
    expect(await cancelTool({ messageId: 'ask-1', supervisorId: s.path })).toEqual({ cancelled: true })
    expect(s.requests.map((r) => [r.method, r.params])).toEqual([['broker_cancel', { message_id: 'ask-1' }]])
    await expectClosed(s)
  })

  it('propagates errors and closes the connection too', async () => {
    const s = await daemon(() => ({ error: { code: -32000, message: 'no pending ask for message id "ask-1"' } }))
    await expect(cancelTool({ messageId: 'ask-1', supervisorId: s.path })).rejects.toThrow(
      'rpc error [-32000]: no pending ask for message id "ask-1"',
    )
    await expectClosed(s)
  })
})

describe('peersTool, brokerReceiveTool, brokerReplyTool', () => {
  it('peers are the sessions, passed through, without params sent', async () => {
    const sessions = [{ run_id: 'rt_1', label: 'a', status: 'idle', backend: 'pi', model: 'm', dir: '/d', extra: 1 }]
    const s = await daemon(() => ({ result: { sessions } }))
    expect(await peersTool({ supervisorId: s.path })).toEqual({ peers: sessions })
    expect(s.requests[0].method).toBe('broker_peers')
    expect('params' in s.requests[0]).toBe(false)
    await expectClosed(s)
  })

  it('no sessions means no peers', async () => {
    const s = await daemon(() => ({ result: {} }))
    expect(await peersTool({ supervisorId: s.path })).toEqual({ peers: [] })
  })

  it('receive returns the pending asks', async () => {
    const asks = [{ from_run_id: 'rt_2', message_id: 'msg_1', message: 'which branch?', role: 'agent' }]
    const s = await daemon(() => ({ result: asks }))
    expect(await brokerReceiveTool({ supervisorId: s.path })).toEqual({ asks })
    expect(s.requests[0].method).toBe('broker_receive')
    expect('params' in s.requests[0]).toBe(false)
    await expectClosed(s)
  })

  it('reply sends to_run_id, reply_to and message', async () => {
    const s = await daemon(() => ({ result: { ok: true } }))
    expect(await brokerReplyTool({ toRunId: 'rt_2', replyTo: 'msg_1', message: 'main', supervisorId: s.path })).toEqual({ ok: true })
    expect(s.requests[0].method).toBe('broker_reply')
    expect(s.requests[0].params).toEqual({ to_run_id: 'rt_2', reply_to: 'msg_1', message: 'main' })
    await expectClosed(s)
  })

  it('reply errors propagate', async () => {
    const s = await daemon(() => ({ error: { code: -32602, message: 'invalid params', data: { required: ['message'] } } }))
    const err = await brokerReplyTool({ toRunId: 'rt_2', replyTo: 'msg_1', message: '', supervisorId: s.path }).catch((e) => e)
    expect(err.message).toBe('rpc error [-32602]: invalid params')
    expect(err.rpcData).toEqual({ required: ['message'] })
    await expectClosed(s)
  })

  it('an invalid supervisorId is rejected before dialling', async () => {
    await expect(peersTool({ supervisorId: '/tmp/x.sock' })).rejects.toThrow('invalid supervisorId: /tmp/x.sock')
    await expect(askTool({ toRunId: 'a', message: 'b', supervisorId: '/tmp/x.sock' })).rejects.toThrow(
      'invalid supervisorId: /tmp/x.sock',
    )
  })
})
