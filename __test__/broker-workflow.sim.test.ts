// The broker, workflow and controller tools end to end against avenor-sim:
// an explicit daemon inside socketsRoot() (every tool call is its own
// connection) and the auto-started singleton (one shared connection).
import type { ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  Supervisor,
  askTool,
  brokerReceiveTool,
  brokerReplyTool,
  cancelTool,
  createWorkflowControllerListTool,
  createWorkflowReadyTool,
  createWorkflowStatusTool,
  dial,
  peersTool,
  socketsRoot,
  spawnTool,
  statusTool,
  workflowCompleteTool,
  workflowControllerCreateTool,
  workflowControllerDisableTool,
  workflowControllerEnableTool,
  workflowControllerListTool,
  workflowControllerStatusTool,
  workflowEventsTool,
  workflowGateTool,
  workflowInspectTool,
  workflowReadyTool,
  workflowStatusTool,
  workflowWaitTool,
} from '@dougbots/avenor-core'
import { simBinary, startSim, until, useTempHome } from './helpers/sim'

/** How long the explicit daemon lets an unanswered broker_ask park. */
const ASK_TIMEOUT_MS = 3000

let home: ReturnType<typeof useTempHome>
let daemon: ChildProcess
let socket: string
beforeAll(async () => {
  home = useTempHome()
  process.env.AVENOR_BIN = simBinary()
  // The singleton's daemon answers its one connection's requests concurrently,
  // so a parked ask does not hold back the reply or cancel sent after it.
  process.env.AVENOR_SIM_DISPATCH = 'concurrent'
  socket = join(socketsRoot(), 'avenor-mcp-broker-e2e.sock')
  daemon = await startSim(socket, ['--ask-timeout', `${ASK_TIMEOUT_MS}ms`])
})
afterAll(async () => {
  daemon.kill('SIGINT')
  await Supervisor.currentInstance()?.close()
  home.cleanup()
})

const receive = (supervisorId?: string) => until(() => brokerReceiveTool({ supervisorId }), (r) => r.asks.length > 0)

async function finalOutput(runId: string, supervisorId?: string): Promise<unknown> {
  const done = await until(() => statusTool({ runId, supervisorId }) as Promise<any>, (s) => s.status === 'done')
  return done.final_output
}

describe('broker tools on an explicit supervisor', () => {
  it("a run's ask is answered from a second connection through brokerReceiveTool + brokerReplyTool", async () => {
    const run = await spawnTool({ prompt: 'ask which branch?; say !', supervisorId: socket })
    const { asks } = await receive(socket)
    expect(asks).toEqual([{ from_run_id: run.runtime_id, message_id: expect.stringMatching(/^msg_\d+$/), message: 'which branch?', role: 'agent' }])
    const answered = await brokerReplyTool({ toRunId: run.runtime_id!, replyTo: asks[0].message_id, message: 'main', supervisorId: socket })
    expect(answered).toEqual({ ok: true })
    expect(await finalOutput(run.run_id, socket)).toBe('main!')
    expect(await brokerReceiveTool({ supervisorId: socket })).toEqual({ asks: [] })
  })

  it('askTool is answered by the run it asks', async () => {
    const run = await spawnTool({ prompt: 'answer hello back', supervisorId: socket })
    expect(await askTool({ toRunId: run.runtime_id!, message: 'hello', supervisorId: socket })).toEqual({
      reply: 'hello back',
      from_run_id: run.runtime_id,
    })
    expect(await finalOutput(run.run_id, socket)).toBe('hello')
  })

  it('cancelTool ends an ask', async () => {
    const run = await spawnTool({ prompt: 'ask anyone there?', supervisorId: socket })
    const { asks } = await receive(socket)
    const messageId = asks[0].message_id
    expect(await cancelTool({ messageId, supervisorId: socket })).toEqual({ cancelled: true })
    expect(await finalOutput(run.run_id, socket)).toBe('(cancelled)')
    await expect(cancelTool({ messageId, supervisorId: socket })).rejects.toThrow(
      `rpc error [-32000]: no pending ask for message id "${messageId}"`,
    )
  })

  it('peersTool lists a spawned run', async () => {
    const run = await spawnTool({ prompt: 'say peer', label: 'peer-run', dir: home.home, supervisorId: socket })
    const { peers } = await peersTool({ supervisorId: socket })
    expect(peers).toContainEqual({
      run_id: run.runtime_id,
      label: 'peer-run',
      status: expect.stringMatching(/^(running|idle)$/),
      backend: 'opencode-acp',
      model: '',
      dir: home.home,
    })
  })

  it('a parked ask owns the daemon until it times out: other connections are refused', async () => {
    const parked = askTool({ toRunId: 'supervisor', message: 'ping', supervisorId: socket })
    const { asks } = await receive(socket)
    expect(asks[0]).toMatchObject({ from_run_id: 'supervisor', message: 'ping' })
    await expect(brokerReplyTool({ toRunId: 'supervisor', replyTo: asks[0].message_id, message: 'pong', supervisorId: socket })).rejects.toThrow(
      'rpc error [-32010]: permission_denied',
    )
    expect(await parked).toEqual({ reply: '(timeout: no reply received)', from_run_id: '' })
    expect(await brokerReceiveTool({ supervisorId: socket })).toEqual({ asks: [] })
  })
})

describe('broker tools on the singleton (one shared connection)', () => {
  it('askTool to the supervisor is answered, or cancelled, by the same owner', async () => {
    const answered = askTool({ toRunId: 'supervisor', message: 'ping' })
    const first = (await receive()).asks[0]
    expect(await brokerReplyTool({ toRunId: 'supervisor', replyTo: first.message_id, message: 'pong' })).toEqual({ ok: true })
    expect(await answered).toEqual({ reply: 'pong', from_run_id: 'supervisor' })

    const cancelled = askTool({ toRunId: 'supervisor', message: 'ping again' })
    const second = (await receive()).asks[0]
    expect(second.message).toBe('ping again')
    expect(await cancelTool({ messageId: second.message_id })).toEqual({ cancelled: true })
    expect(await cancelled).toEqual({ reply: '(cancelled)', from_run_id: '' })
  })
})

describe('workflow controller tools', () => {
  it('creates, enables, disables and lists a controller', async () => {
    const sup = { supervisorId: socket }
    expect(await workflowControllerCreateTool({ controllerId: 'ctl-1', maxInflight: 2, ...sup })).toEqual({
      controller_id: 'ctl-1',
      max_inflight: 2,
      enabled: false,
    })
    await expect(workflowControllerCreateTool({ controllerId: 'ctl-1', maxInflight: 2, ...sup })).rejects.toThrow(
      'rpc error [-32000]: controller "ctl-1" already exists',
    )
    await expect(workflowControllerCreateTool({ controllerId: 'ctl-2', maxInflight: 0, ...sup })).rejects.toThrow(
      'maxInflight must be a positive integer',
    )
    expect(await workflowControllerEnableTool({ controllerId: 'ctl-1', ...sup })).toMatchObject({ enabled: true })
    expect(await workflowControllerDisableTool({ controllerId: 'ctl-1', reason: 'maintenance', ...sup })).toEqual({
      controller_id: 'ctl-1',
      max_inflight: 2,
      enabled: false,
      disabled_reason: 'maintenance',
    })
    expect(await workflowControllerStatusTool({ controllerId: 'ctl-1', ...sup })).toMatchObject({ inflight: 0, disabled_reason: 'maintenance' })
    const listed = { controllers: [{ controller_id: 'ctl-1', max_inflight: 2, enabled: false, disabled_reason: 'maintenance' }] }
    expect(await workflowControllerListTool(sup)).toEqual(listed)
    expect(await workflowControllerStatusTool({ controllerId: undefined, ...sup })).toEqual(listed)
  })

  it('a factory without supervisorId takes the singleton path and never calls getSupervisorClient', async () => {
    const get = vi.fn()
    expect(await createWorkflowControllerListTool(get)({})).toEqual({ controllers: [] })
    expect(get).not.toHaveBeenCalled()
  })
})

describe('workflow tools', () => {
  it('status, gate, complete, wait, events and inspect round trip', async () => {
    const client = await dial(socket)
    const created = await client.call('workflow.instantiate', { template_id: 'tpl', template_version: '1', params: { nodes: ['build', 'review'] } })
    client.close()
    const workflowId: string = created.workflow_id
    const sup = { supervisorId: socket }

    const status = await workflowStatusTool({ workflowId, ...sup })
    expect(status).toMatchObject({ workflow_id: workflowId, status: 'running', latest_seq: 1 })
    const review = status.nodes.find((n: any) => n.node_id === 'review')
    const build = status.nodes.find((n: any) => n.node_id === 'build')

    const gate = { workflow_id: workflowId, node_id: 'review', gate_id: 'g1', activation_id: review.activation_id, operation: 'satisfy' as const }
    expect(await workflowGateTool({ ...gate, actor: 'me', observed_at: '2024-05-01T10:00:00Z', ...sup })).toEqual({
      workflow_id: workflowId,
      op: 'gate',
      accepted: true,
      seq: 2,
      status: 'running',
    })
    await expect(workflowGateTool({ ...gate, observed_at: 'now', ...sup })).rejects.toThrow('observed_at must be an RFC3339 timestamp')
    const complete = {
      workflow_id: workflowId,
      node_id: 'build',
      activation_id: build.activation_id,
      attempt_id: 'att-1',
      lease_id: 'lease-1',
      owner_token: 'tok-1',
      outcome: 'success',
      outputs: { sha: 'abc' },
    }
    expect(await workflowCompleteTool({ ...complete, ...sup })).toMatchObject({ op: 'complete', accepted: true, seq: 3 })
    await expect(workflowCompleteTool({ ...complete, ...sup })).rejects.toThrow('rpc error [-32000]: node "build" is already completed')

    // Still running: the wait ends at its timeout (1 s) with the running status.
    expect(await workflowWaitTool({ workflowId, timeout: '1', ...sup })).toMatchObject({ status: 'running' })
    const waiting = workflowWaitTool({ workflowId, ...sup })
    const other = await dial(socket)
    await other.workflowCommand(workflowId, { op: 'skip', node_id: 'review' })
    other.close()
    expect(await waiting).toMatchObject({ status: 'completed' })

    expect(await workflowEventsTool({ workflowId, afterSeq: 1, limit: 2, ...sup })).toEqual({
      workflow_id: workflowId,
      latest_seq: 5,
      events: [
        { seq: 2, type: 'gate.satisfy', node_id: 'review', gate_id: 'g1' },
        { seq: 3, type: 'node.completed', node_id: 'build', outcome: 'success' },
      ],
    })
    const inspect = await workflowInspectTool({ workflowId, ...sup })
    expect(inspect.nodes[0]).toMatchObject({ node_id: 'build', status: 'completed', outputs: { sha: 'abc' } })
    expect(inspect.nodes[1].gates.g1).toMatchObject({ operation: 'satisfy', actor: 'me' })
    await expect(workflowStatusTool({ workflowId: 'wf_999', ...sup })).rejects.toThrow('rpc error [-32000]: workflow "wf_999" not found')
  })

  it("workflowReadyTool lists the ready nodes of a controller's workflows, limited", async () => {
    const sup = { supervisorId: socket }
    await workflowControllerCreateTool({ controllerId: 'ctl-ready', maxInflight: 1, ...sup })
    const client = await dial(socket)
    const created = await client.call('workflow.instantiate', {
      template_id: 'tpl',
      template_version: '1',
      metadata: { controller_id: 'ctl-ready' },
      params: { nodes: ['plan', 'code'] },
    })
    const wf: string = created.workflow_id
    const plan = { workflow_id: wf, node_id: 'plan', activation_id: 'act_plan_1' }
    const code = { workflow_id: wf, node_id: 'code', activation_id: 'act_code_1' }
    expect(await workflowReadyTool({ controllerId: 'ctl-ready', ...sup })).toEqual({ advisory: true, controller_id: 'ctl-ready', candidates: [plan, code] })
    expect(await workflowReadyTool({ controllerId: 'ctl-ready', limit: 1, ...sup })).toEqual({ advisory: true, controller_id: 'ctl-ready', candidates: [plan] })
    await client.workflowCommand(wf, { op: 'skip', node_id: 'plan' })
    expect(await client.workflowReady('ctl-ready')).toEqual({ advisory: true, controller_id: 'ctl-ready', candidates: [code] })
    await expect(workflowReadyTool({ controllerId: 'nope', ...sup })).rejects.toThrow('rpc error [-32000]: controller "nope" not found')
    client.close()

    // The factory on a dialled client, closed afterwards.
    const opened: Array<{ isClosed(): boolean }> = []
    const ready = createWorkflowReadyTool(async (id) => {
      const c = await dial(id)
      opened.push(c)
      return { client: c, isSingleton: false }
    })
    expect(await ready({ controllerId: 'ctl-ready', limit: 5, supervisorId: socket })).toEqual({ advisory: true, controller_id: 'ctl-ready', candidates: [code] })
    expect(opened).toHaveLength(1)
    expect(opened[0].isClosed()).toBe(true)

    // Without supervisorId: the singleton's daemon, which has no such controller.
    await expect(workflowReadyTool({ controllerId: 'ctl-ready' })).rejects.toThrow('rpc error [-32000]: controller "ctl-ready" not found')
  })

  it('a factory drives a real dialled client and closes it', async () => {
    const client = await dial(socket)
    const created = await client.call('workflow.instantiate', { template_id: 'tpl', template_version: 2 })
    const opened: Array<{ isClosed(): boolean }> = []
    const status = createWorkflowStatusTool(async (id) => {
      const c = await dial(id)
      opened.push(c)
      return { client: c, isSingleton: false }
    })
    expect(await status({ workflowId: created.workflow_id, supervisorId: socket })).toMatchObject({
      workflow_id: created.workflow_id,
      template_version: 2,
      nodes: [{ node_id: 'main', status: 'ready' }],
    })
    expect(opened).toHaveLength(1)
    expect(opened[0].isClosed()).toBe(true)
    expect(client.isClosed()).toBe(false)
    client.close()
  })
})
