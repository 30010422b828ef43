// The MCP workflow handlers (consumers.md §2.2): zod output spread into the tool
// call (gate `subject` is `z.unknown()`, `result` a string), and the result handed
// to the MCP SDK as a plain record.
import {
  createWorkflowReadyTool,
  workflowCompleteTool,
  workflowControllerStatusTool,
  workflowEventsTool,
  workflowGateTool,
  workflowInspectTool,
  workflowReadyTool,
  workflowStatusTool,
  workflowWaitTool,
} from '@dougbots/avenor-core'
import type { GetSupervisorClient, WorkflowGateToolArgs, WorkflowReadyResult, WorkflowStatusResult } from '@dougbots/avenor-core'
import { expectType, type Equal, type IsAny } from './helpers'

type ToolResult = Record<string, unknown>

export async function gate(subject: unknown, supervisorId?: string): Promise<ToolResult> {
  return workflowGateTool({
    workflow_id: 'wf',
    node_id: 'n',
    gate_id: 'g',
    activation_id: 'a',
    operation: 'external_result',
    subject,
    result: 'passed',
    supervisorId,
  })
}

expectType<Equal<WorkflowGateToolArgs['subject'], unknown>>()
expectType<Equal<WorkflowGateToolArgs['result'], string | undefined>>()

export async function others(): Promise<ToolResult[]> {
  const status = await workflowStatusTool({ workflowId: 'wf' })
  const state: string | undefined = status.status
  return [
    status,
    { state },
    await workflowWaitTool({ workflowId: 'wf', timeout: '5m' }),
    await workflowInspectTool({ workflowId: 'wf' }),
    await workflowEventsTool({ workflowId: 'wf', afterSeq: 1, limit: 10 }),
    await workflowCompleteTool({
      workflow_id: 'wf',
      node_id: 'n',
      activation_id: 'a',
      attempt_id: 't',
      lease_id: 'l',
      owner_token: 'o',
      outcome: 'success',
    }),
    await workflowControllerStatusTool({ controllerId: undefined, supervisorId: 'sup-1' }),
  ]
}

// The results are typed (they were `any`).
expectType<Equal<IsAny<Awaited<ReturnType<typeof workflowStatusTool>>>, false>>()
expectType<Equal<Awaited<ReturnType<typeof workflowStatusTool>>, WorkflowStatusResult>>()
expectType<Equal<IsAny<Awaited<ReturnType<typeof workflowGateTool>>>, false>>()

// The 720aab63 line's ready tool and its factory.
export async function ready(limit: number | undefined, get: GetSupervisorClient): Promise<ToolResult[]> {
  const direct: WorkflowReadyResult = await workflowReadyTool({ controllerId: 'c1', limit })
  const viaFactory = await createWorkflowReadyTool(get)({ controllerId: 'c1', limit, supervisorId: 'sup-1' })
  const first: string | undefined = viaFactory.candidates?.[0]?.node_id
  return [direct, viaFactory, { first }]
}
