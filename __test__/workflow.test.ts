// Workflow host and controller tools (core-spec §14.4): validation messages,
// the exact RPCs sent to a mock daemon inside socketsRoot(), and the
// create…Tool(getSupervisorClient) factories driven by a mock client.
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import * as core from '@dougbots/avenor-core'
import { socketsRoot } from '@dougbots/avenor-core'
import { MockServer, type Handler } from './helpers/mock-server'
import { useMockSupervisors } from './helpers/mock-supervisor'
import { useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
})
afterAll(() => home.cleanup())

const mockSupervisor = useMockSupervisors('wf')
const daemon = (handler: Handler = (req) => ({ result: { method: req.method } })) => mockSupervisor(handler)

type AnyTool = (args: any) => Promise<any>
type Factory = (get: (id: string) => any) => AnyTool

const tools: Record<string, AnyTool> = core as any
const factory = (name: string): Factory => (core as any)[`create${name[0].toUpperCase()}${name.slice(1)}`]

const COMPLETE = {
  workflow_id: 'wf-1',
  node_id: 'n1',
  activation_id: 'act-1',
  attempt_id: 'att-1',
  lease_id: 'lease-1',
  owner_token: 'tok-1',
  outcome: 'success',
}
const GATE = { workflow_id: 'wf-1', node_id: 'n1', gate_id: 'g1', activation_id: 'act-1', operation: 'satisfy' }

/** Each tool with valid arguments, the RPC it must send, and the client call a factory must make. */
const CASES: Array<{ tool: string; args: Record<string, unknown>; method: string; params?: unknown; call: [string, unknown[]] }> = [
  { tool: 'workflowStatusTool', args: { workflowId: 'wf-1' }, method: 'workflow.status', params: { workflow_id: 'wf-1' }, call: ['workflowStatus', ['wf-1']] },
  { tool: 'workflowInspectTool', args: { workflowId: 'wf-1' }, method: 'workflow.inspect', params: { workflow_id: 'wf-1' }, call: ['workflowInspect', ['wf-1']] },
  { tool: 'workflowWaitTool', args: { workflowId: 'wf-1' }, method: 'workflow.wait', params: { workflow_id: 'wf-1', timeout_ms: 30000 }, call: ['workflowWait', ['wf-1', 30000]] },
  { tool: 'workflowWaitTool', args: { workflowId: 'wf-1', timeout: '2m' }, method: 'workflow.wait', params: { workflow_id: 'wf-1', timeout_ms: 120000 }, call: ['workflowWait', ['wf-1', 120000]] },
  {
    tool: 'workflowEventsTool',
    args: { workflowId: 'wf-1', afterSeq: 3, limit: 10 },
    method: 'workflow.events',
    params: { workflow_id: 'wf-1', after_seq: 3, limit: 10 },
    call: ['workflowEvents', ['wf-1', { afterSeq: 3, limit: 10 }]],
  },
  {
    tool: 'workflowCompleteTool',
    args: { ...COMPLETE, outputs: { sha: 'abc' } },
    method: 'workflow.command',
    params: {
      workflow_id: 'wf-1',
      command: { op: 'complete', node_id: 'n1', activation_id: 'act-1', attempt_id: 'att-1', lease_id: 'lease-1', owner_token: 'tok-1', outcome: 'success', outputs: { sha: 'abc' } },
    },
    call: ['workflowComplete', [{ ...COMPLETE, outputs: { sha: 'abc' } }]],
  },
  {
    tool: 'workflowGateTool',
    args: { ...GATE, actor: 'me', observed_at: '2024-05-01T10:00:00.5+02:00', evidence_ids: ['e1'] },
    method: 'workflow.command',
    params: {
      workflow_id: 'wf-1',
      command: { op: 'gate', node_id: 'n1', activation_id: 'act-1', gate_id: 'g1', operation: 'satisfy', actor: 'me', observed_at: '2024-05-01T10:00:00.5+02:00', evidence_ids: ['e1'] },
    },
    call: ['workflowGate', [{ ...GATE, actor: 'me', observed_at: '2024-05-01T10:00:00.5+02:00', evidence_ids: ['e1'] }]],
  },
  { tool: 'workflowControllerStatusTool', args: { controllerId: 'c1' }, method: 'workflow.controller.status', params: { controller_id: 'c1' }, call: ['workflowControllerStatus', ['c1']] },
  { tool: 'workflowControllerStatusTool', args: { controllerId: undefined }, method: 'workflow.controller.list', call: ['workflowControllerList', []] },
  { tool: 'workflowControllerListTool', args: {}, method: 'workflow.controller.list', call: ['workflowControllerList', []] },
  {
    tool: 'workflowControllerCreateTool',
    args: { controllerId: 'c1', maxInflight: 2 },
    method: 'workflow.controller.create',
    params: { controller_id: 'c1', max_inflight: 2 },
    call: ['workflowControllerCreate', [{ controller_id: 'c1', max_inflight: 2 }]],
  },
  { tool: 'workflowControllerEnableTool', args: { controllerId: 'c1' }, method: 'workflow.controller.enable', params: { controller_id: 'c1' }, call: ['workflowControllerEnable', ['c1']] },
  {
    tool: 'workflowControllerDisableTool',
    args: { controllerId: 'c1', reason: 'maintenance' },
    method: 'workflow.controller.disable',
    params: { controller_id: 'c1', reason: 'maintenance' },
    call: ['workflowControllerDisable', ['c1', 'maintenance']],
  },
  {
    tool: 'workflowReadyTool',
    args: { controllerId: 'c1', limit: 5 },
    method: 'workflow.ready',
    params: { controller_id: 'c1', limit: 5 },
    call: ['workflowReady', ['c1', 5]],
  },
  { tool: 'workflowReadyTool', args: { controllerId: 'c1' }, method: 'workflow.ready', params: { controller_id: 'c1' }, call: ['workflowReady', ['c1', undefined]] },
]

/** Invalid arguments and the message each tool (and its factory) rejects with. */
const INVALID: Array<[string, Record<string, unknown>, string]> = [
  ['workflowStatusTool', {}, 'workflowId is required'],
  ['workflowInspectTool', { workflowId: '' }, 'workflowId is required'],
  ['workflowWaitTool', { workflowId: undefined }, 'workflowId is required'],
  ['workflowWaitTool', { workflowId: 'wf-1', timeout: '5d' }, 'invalid timeout: 5d'],
  ['workflowEventsTool', { afterSeq: 1 }, 'workflowId is required'],
  ...Object.keys(COMPLETE).map((field): [string, Record<string, unknown>, string] => [
    'workflowCompleteTool',
    { ...COMPLETE, [field]: undefined },
    `${field} is required`,
  ]),
  ['workflowCompleteTool', { ...COMPLETE, node_id: '', outcome: undefined }, 'node_id is required'],
  ...['workflow_id', 'node_id', 'gate_id', 'activation_id', 'operation'].map((field): [string, Record<string, unknown>, string] => [
    'workflowGateTool',
    { ...GATE, [field]: undefined },
    `${field} is required`,
  ]),
  ['workflowGateTool', { ...GATE, operation: 'approve' }, 'unknown gate operation "approve" (allowed: satisfy, reject, waive, external_result)'],
  ['workflowGateTool', { ...GATE, observed_at: '2024-05-01 10:00:00' }, 'observed_at must be an RFC3339 timestamp'],
  ['workflowControllerCreateTool', { maxInflight: 2 }, 'controllerId is required'],
  ...[0, -1, 1.5, '2', undefined].map((maxInflight): [string, Record<string, unknown>, string] => [
    'workflowControllerCreateTool',
    { controllerId: 'c1', maxInflight },
    'maxInflight must be a positive integer',
  ]),
  ['workflowControllerEnableTool', {}, 'controllerId is required'],
  ['workflowControllerDisableTool', { reason: 'r' }, 'controllerId is required'],
  ['workflowControllerDisableTool', { controllerId: 'c1' }, 'reason is required'],
  ['workflowControllerDisableTool', { controllerId: 'c1', reason: '' }, 'reason is required'],
  ['workflowReadyTool', { limit: 5 }, 'controllerId is required'],
  ['workflowReadyTool', { controllerId: '' }, 'controllerId is required'],
]

describe('exported workflow tools against a mock daemon', () => {
  it.each(CASES.map((c) => [`${c.tool} ${JSON.stringify(c.args)}`, c] as const))('%s', async (_, c) => {
    const s = await daemon((req) => ({ result: { raw: req.method, n: 1 } }))
    const out = await tools[c.tool]({ ...c.args, supervisorId: s.path })
    // The daemon's object, unchanged.
    expect(out).toEqual({ raw: c.method, n: 1 })
    expect(s.requests).toHaveLength(1)
    expect(s.requests[0].method).toBe(c.method)
    if (c.params === undefined) expect('params' in s.requests[0]).toBe(false)
    else expect(s.requests[0].params).toEqual(c.params)
  })

  it('controller status without an id lists, for the exact object the MCP server passes', async () => {
    const s = await daemon(() => ({ result: { controllers: [{ controller_id: 'c1' }] } }))
    const args = { controllerId: undefined, supervisorId: s.path }
    expect(await core.workflowControllerStatusTool(args)).toEqual({ controllers: [{ controller_id: 'c1' }] })
    expect(s.rawLines).toEqual(['{"jsonrpc":"2.0","id":1,"method":"workflow.controller.list"}'])
  })

  it('undefined members are dropped, not sent as null', async () => {
    const s = await daemon()
    await core.workflowCompleteTool({ ...COMPLETE, outputs: undefined, artifacts: undefined, supervisorId: s.path } as any)
    await core.workflowGateTool({ ...GATE, actor: undefined, observed_at: undefined, supervisorId: s.path } as any)
    await core.workflowEventsTool({ workflowId: 'wf-1', afterSeq: undefined, limit: undefined, supervisorId: s.path })
    const [complete, gate, events] = s.requests.map((r) => r.params as any)
    expect(Object.keys(complete.command)).toEqual(['op', 'node_id', 'activation_id', 'attempt_id', 'lease_id', 'owner_token', 'outcome'])
    expect('actor' in gate.command || 'observed_at' in gate.command).toBe(false)
    expect(events).toEqual({ workflow_id: 'wf-1' })
  })

  it('RPC errors propagate', async () => {
    const s = await daemon(() => ({ error: { code: -32601, message: 'method not found' } }))
    await expect(core.workflowStatusTool({ workflowId: 'wf-1', supervisorId: s.path })).rejects.toThrow(
      'rpc error [-32601]: method not found',
    )
  })

  it.each(INVALID)('%s %j rejects with "%s" before any connection', async (tool, args, message) => {
    const s = await daemon()
    const promise = tools[tool]({ ...args, supervisorId: s.path })
    // An async rejection, not a synchronous throw.
    expect(promise).toBeInstanceOf(Promise)
    await expect(promise).rejects.toThrow(message)
    await expect(promise).rejects.toBeInstanceOf(Error)
    expect(s.requests).toHaveLength(0)
  })
})

/** A client whose methods record their calls and `this`, and count closes. */
function mockClient(fail?: Error) {
  const calls: Array<{ method: string; args: unknown[]; self: unknown }> = []
  const client: Record<string, any> = { close: vi.fn() }
  for (const method of [
    'workflowStatus',
    'workflowWait',
    'workflowInspect',
    'workflowEvents',
    'workflowComplete',
    'workflowGate',
    'workflowControllerStatus',
    'workflowControllerList',
    'workflowControllerCreate',
    'workflowControllerEnable',
    'workflowControllerDisable',
    'workflowReady',
  ]) {
    client[method] = function (this: unknown, ...args: unknown[]) {
      calls.push({ method, args, self: this })
      return fail ? Promise.reject(fail) : Promise.resolve({ from: method })
    }
  }
  return { client, calls }
}

describe('create…Tool(getSupervisorClient) factories', () => {
  it.each(CASES.map((c) => [`${c.tool} ${JSON.stringify(c.args)}`, c] as const))('%s calls the client method and closes it once', async (_, c) => {
    const { client, calls } = mockClient()
    const get = vi.fn(async (_id: string) => ({ client, isSingleton: false }))
    const tool = factory(c.tool)(get)
    expect(await tool({ ...c.args, supervisorId: 'sup-1' })).toEqual({ from: c.call[0] })
    expect(get).toHaveBeenCalledTimes(1)
    expect(get).toHaveBeenCalledWith('sup-1')
    expect(calls).toHaveLength(1)
    expect(calls[0].method).toBe(c.call[0])
    expect(calls[0].args).toEqual(c.call[1])
    expect(calls[0].self).toBe(client)
    expect(client.close).toHaveBeenCalledTimes(1)
  })

  it.each(CASES.map((c) => [`${c.tool} ${JSON.stringify(c.args)}`, c] as const))('%s closes once when the method rejects', async (_, c) => {
    const boom = new Error('boom')
    const { client } = mockClient(boom)
    const tool = factory(c.tool)(() => ({ client, isSingleton: false }))
    // The very error object the client rejected with.
    await expect(tool({ ...c.args, supervisorId: 'sup-1' })).rejects.toBe(boom)
    expect(client.close).toHaveBeenCalledTimes(1)
  })

  it('never closes a singleton client, also when the method rejects', async () => {
    const ok = mockClient()
    const status = core.createWorkflowStatusTool(async () => ({ client: ok.client as any, isSingleton: true }))
    expect(await status({ workflowId: 'wf-1', supervisorId: 'sup-1' })).toEqual({ from: 'workflowStatus' })
    expect(ok.client.close).not.toHaveBeenCalled()
    const failing = mockClient(new Error('down'))
    const wait = core.createWorkflowWaitTool(() => ({ client: failing.client as any, isSingleton: true }))
    await expect(wait({ workflowId: 'wf-1', supervisorId: 'sup-1' })).rejects.toThrow('down')
    expect(failing.client.close).not.toHaveBeenCalled()
  })

  it('closes once when the method throws synchronously or returns a plain value', async () => {
    const { client } = mockClient()
    client.workflowInspect = () => {
      throw new TypeError('sync failure')
    }
    client.workflowStatus = () => ({ plain: true })
    const get = () => ({ client, isSingleton: false })
    await expect(core.createWorkflowInspectTool(get as any)({ workflowId: 'wf-1', supervisorId: 's' })).rejects.toThrow(
      'sync failure',
    )
    expect(client.close).toHaveBeenCalledTimes(1)
    expect(await core.createWorkflowStatusTool(get as any)({ workflowId: 'wf-1', supervisorId: 's' })).toEqual({ plain: true })
    expect(client.close).toHaveBeenCalledTimes(2)
    delete client.workflowEvents
    await expect(core.createWorkflowEventsTool(get as any)({ workflowId: 'wf-1', supervisorId: 's' })).rejects.toThrow(
      'client.workflowEvents is not a function',
    )
    expect(client.close).toHaveBeenCalledTimes(3)
  })

  it('a failing getSupervisorClient rejects with its own error and nothing is closed', async () => {
    const denied = new Error('invalid supervisorId: sup-1')
    const asyncFail = core.createWorkflowStatusTool(async () => {
      throw denied
    })
    await expect(asyncFail({ workflowId: 'wf-1', supervisorId: 'sup-1' })).rejects.toBe(denied)
    const syncFail = core.createWorkflowStatusTool(() => {
      throw denied
    })
    await expect(syncFail({ workflowId: 'wf-1', supervisorId: 'sup-1' })).rejects.toBe(denied)
  })

  it('a getSupervisorClient that throws a non-Error rejects with its text (the value as cause)', async () => {
    for (const thrown of ['boom', 42, null]) {
      const tool = core.createWorkflowStatusTool(() => {
        throw thrown
      })
      const error = await tool({ workflowId: 'wf-1', supervisorId: 'sup-1' }).then(
        () => undefined,
        (e: Error) => e,
      )
      expect(error).toBeInstanceOf(Error)
      expect(error!.message).toBe(String(thrown))
      expect(error!.cause).toBe(thrown)
    }
  })

  it.each(INVALID)('%s %j: the factory validates the same way, before asking for a client', async (tool, args, message) => {
    const get = vi.fn()
    const promise = factory(tool)(get)({ ...args, supervisorId: 'sup-1' })
    expect(promise).toBeInstanceOf(Promise)
    await expect(promise).rejects.toThrow(message)
    expect(get).not.toHaveBeenCalled()
  })

  it('workflowReady gets the limit exactly as given, also when it is undefined', async () => {
    const { client, calls } = mockClient()
    const tool = core.createWorkflowReadyTool(async () => ({ client: client as any, isSingleton: false }))
    await tool({ controllerId: 'c1', supervisorId: 'sup-1' })
    await tool({ controllerId: 'c1', limit: undefined, supervisorId: 'sup-1' })
    await tool({ controllerId: 'c1', limit: 0, supervisorId: 'sup-1' })
    // Two arguments each time: toEqual alone would not tell ['c1'] from ['c1', undefined].
    expect(calls.map((c) => c.args.length)).toEqual([2, 2, 2])
    expect(calls.map((c) => c.args)).toStrictEqual([
      ['c1', undefined],
      ['c1', undefined],
      ['c1', 0],
    ])
    expect(client.close).toHaveBeenCalledTimes(3)
  })

  it('controller status without an id lists through the client', async () => {
    const { client, calls } = mockClient()
    const tool = core.createWorkflowControllerStatusTool(async () => ({ client: client as any, isSingleton: false }))
    await tool({ controllerId: undefined, supervisorId: 'sup-1' })
    expect(calls.map((c) => [c.method, c.args])).toEqual([['workflowControllerList', []]])
  })

  it('each factory returns a new function per call', () => {
    const get = () => ({})
    const a = core.createWorkflowStatusTool(get as any)
    const b = core.createWorkflowStatusTool(get as any)
    expect(typeof a).toBe('function')
    expect(a).not.toBe(b)
  })
})
