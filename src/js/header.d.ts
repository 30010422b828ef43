/* Types of @dougbots/avenor-core's arguments and results (core-spec §1.1).
   This header is prepended to the generated index.d.ts by `napi build`. */

/** A daemon event: a flat object with at least `event`. */
export type Event = { event?: string; type?: string; seq?: number; runtime_id?: string; [key: string]: unknown }
export type AvenorEvent = Event

export interface SubscribeOptions {
  runtime_id?: string
  replay?: boolean
  limit?: number
  after_seq?: number
}

export interface HistoryOptions {
  runtime_id: string
  limit?: number
  after_seq?: number
}

export interface HistoryResult {
  runtime_id?: string
  events: Event[]
  latest_seq?: number
}

/** Params of the daemon's `spawn` (snake_case). */
export interface SpawnParams {
  prompt?: string
  prompt_file?: string
  label?: string
  dir?: string
  agent?: string
  model?: string
  backend?: string
  thinking?: string
  agent_profile?: string
  server_url?: string
  session_id?: string
  parent_run_id?: string
  timeout?: number
  auto_approve?: boolean
  roster_file?: string
  roster_entry?: string
  loop_file?: string
  team_file?: string
  [key: string]: unknown
}

export interface SpawnResult {
  runtime_id?: string
  session_id?: string
  label?: string
  on_event?: string
  sentinel_file?: string
  broker_url?: string
  parent_token?: string
  agent?: string
  model?: string
  backend?: string
  agent_profile?: string
  roster_file?: string
  roster_entry?: string
  effective_agent?: string
  effective_model?: string
  effective_backend?: string
  [key: string]: unknown
}

export interface RunInfo {
  runId: string
  label: string
  sentinelPath: string
  eventLogPath: string
  runtimeId?: string
  sessionId?: string
  agent?: string
  agentProfile?: string
  backend?: string
  model?: string
  effectiveAgent?: string
  effectiveModel?: string
  effectiveBackend?: string
  rosterFile?: string
  rosterEntry?: string
  thinking?: string
  dir?: string
  brokerUrl?: string
  parentToken?: string
  autoApprove?: boolean
}

export type ThinkingLevel = 'off' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max'

/** The type of `THINKING_LEVELS`: the literal tuple, so that `z.enum(THINKING_LEVELS)`
    infers `ThinkingLevel` (napi alone would declare `string[]`). */
export type ThinkingLevels = readonly ['off', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max']

export interface SpawnToolArgs {
  agent?: string
  prompt?: string
  promptFile?: string
  label?: string
  dir?: string
  timeout?: string
  model?: string
  thinking?: ThinkingLevel
  agentProfile?: string
  backend?: string
  rosterFile?: string
  rosterEntry?: string
  serverUrl?: string
  sessionId?: string
  supervisorId?: string
  parent_run_id?: string
}

export interface SpawnToolResult {
  run_id: string
  label: string
  supervisor_id: string
  runtime_id?: string
  broker_url?: string
  parent_token?: string
}

export type StatusView = 'full' | 'lifecycle'

export interface StatusToolArgs {
  runId?: string
  supervisorId?: string
  view?: StatusView
}

export interface PendingPermission {
  request_id: string
  description: string
  options: Array<{ option_id: string; label: string; kind: string; requires_message?: true }>
}

/** The statuses `statusTool` maps to. The original typed `status` as `string`, so any
    string is accepted; the literals are there for completion. */
export type RunStatus = 'running' | 'waiting' | 'done' | 'failed' | 'timeout' | 'killed' | (string & {})

export interface StatusResult {
  run_id: string
  label: string
  status: RunStatus
  /** Ours: why a run whose daemon died under it is `failed` (the crash, by signal or exit code). */
  error?: string
  runtime_id?: string
  phase?: string
  phase_label?: string
  pending_permission?: PendingPermission
  session_id?: string
  stop_reason?: string
  roster_file?: string
  roster_entry?: string
  backend?: string
  agent?: string
  model?: string
  agent_profile?: string
  effective_backend?: string
  effective_agent?: string
  effective_model?: string
  dir?: string
  parent_id?: string
  children?: string[]
  pid?: number
  event_path?: string
  usage?: Record<string, unknown>
  latest_seq?: number
  final_output?: string
  final_output_truncated?: true
}

export interface AnswerPermissionToolArgs {
  runId: string
  optionId: string
  requestId?: string
  supervisorId?: string
  message?: string
}

export interface FollowUpToolArgs {
  runId: string
  message: string
  label?: string
  supervisorId?: string
}

export interface FollowUpToolResult {
  run_id: string
  label: string
  runtime_id?: string
}

export interface ShutdownToolArgs {
  supervisorId?: string
  force?: boolean
}

export interface WorkflowCompleteParams {
  workflow_id: string
  node_id: string
  activation_id: string
  attempt_id: string
  lease_id: string
  owner_token: string
  outcome: string
  outputs?: unknown
  artifacts?: unknown
}

export type WorkflowGateOperation = 'satisfy' | 'reject' | 'waive' | 'external_result'

export interface WorkflowGateParams {
  workflow_id: string
  node_id: string
  gate_id: string
  activation_id: string
  operation: WorkflowGateOperation
  actor?: string
  reason?: string
  outcome?: string
  subject?: unknown
  poll_id?: string
  source?: string
  result?: string
  response_hash?: string
  observed_at?: string
  evidence_ids?: string[]
}

export interface WorkflowHeartbeatParams {
  workflow_id: string
  node_id: string
  lease_id: string
  owner_token: string
  activation_id?: string
}

export interface WorkflowControllerCreateParams {
  controller_id: string
  max_inflight: number
}

export interface EventsToolArgs {
  runId: string
  types?: string[]
  limit?: number
  supervisorId?: string
  after_seq?: number
}

export interface SpawnSelectionInput {
  agent?: string
  model?: string
  backend?: string
  roster_file?: string
  roster_entry?: string
}

export type ThinkingOutcome = 'ok' | 'unsupportedCapability' | 'unsupportedValue' | 'startOnly'

export type RunChunkRole = 'assistant' | 'thought' | 'user'

export interface RunToolSummary {
  key: string
  id?: string
  title?: string
  kind?: string
  status?: string
  preview?: string
}

export interface RunPermissionOption {
  option_id: string
  label: string
  kind?: string
}

export interface RunPermissionSummary {
  request_id?: string
  description?: string
  question?: string
  tool?: string
  kind?: string
  options?: RunPermissionOption[]
}

export interface NormalizedRunEvent {
  event: string
  source_event: string
  raw: Record<string, unknown>
  alias?: true
  session_id?: string
  runtime_id?: string
  run_id?: string
  run_label?: string
  seq?: number
  ts?: unknown
  phase?: string
  phase_label?: string
  stop_reason?: string
  final_output?: string
  chunk_role?: RunChunkRole
  delta?: string
  tool?: RunToolSummary
  permission?: RunPermissionSummary
  semantic_fingerprint?: string
  [key: string]: unknown
}

export interface RunIdentity {
  session_id?: string
  runtime_id?: string
  run_id?: string
  run_label?: string
  backend?: string
  agent?: string
  model?: string
  dir?: string
  parent_id?: string
  children?: string[]
  event_path?: string
  [key: string]: unknown
}

export interface RunToolState extends RunToolSummary {
  live: boolean
}

export interface RunTranscriptEntry {
  kind: string
  event?: string
  text?: string
  title?: string
  status?: string
  [key: string]: unknown
}

export interface RunSnapshot {
  identity: RunIdentity
  limits: RunReducerLimits
  latest_seq?: number
  last_event?: string
  last_ts?: unknown
  phase?: string
  phase_label?: string
  ended: boolean
  stop_reason?: string
  usage?: Record<string, unknown>
  final_output?: string
  assistant_text: string
  thought_text: string
  user_text: string
  transcript: RunTranscriptEntry[]
  tools: RunToolState[]
  live_tools: RunToolState[]
  pending_permission?: RunPermissionSummary
  permissions: RunPermissionSummary[]
  [key: string]: unknown
}

export type RunSnapshotSeed = Partial<RunSnapshot>

export interface RunObserverClient {
  /** An async iterator, or an async iterable (then its `[Symbol.asyncIterator]()` is used). */
  events(options?: SubscribeOptions): AsyncIterator<Event> | AsyncIterable<Event>
  close?(): void
}

export interface ObserveRunOptions extends SubscribeOptions {
  close_client?: boolean
  reducer_limits?: Partial<RunReducerLimits>
  initial_snapshot?: RunSnapshotSeed
}

export interface InspectToolArgs {
  runId: string
  supervisorId?: string
  limit?: number
  after_seq?: number
}

export interface InspectResult {
  run_id: string
  label: string
  status: StatusResult
  snapshot: RunSnapshot
  transcript: RunTranscriptEntry[]
  tools: RunToolState[]
  live_tools: RunToolState[]
  permissions: RunPermissionSummary[]
  pending_permission?: unknown
  final_output?: string
}

export interface ResultToolArgs {
  runId: string
  supervisorId?: string
  wait?: boolean
  timeout?: string
  signal?: AbortSignal
}

export interface ResultResult {
  run_id: string
  label: string
  status: RunStatus
  ready: boolean
  runtime_id?: string
  session_id?: string
  stop_reason?: string
  pending_permission?: PendingPermission
  output?: string
  output_truncated?: true
  output_event_path?: string
  timed_out?: true
}

export interface AskToolArgs {
  toRunId: string
  message: string
  supervisorId?: string
}

export interface AskResult {
  reply: string
  from_run_id: string
}

export interface PeerEntry {
  run_id: string
  label?: string
  status?: string
  backend?: string
  model?: string
  dir?: string
  [key: string]: unknown
}

export interface PeersToolArgs {
  supervisorId?: string
}

export interface PeersResult {
  peers: PeerEntry[]
}

export interface CancelToolArgs {
  messageId: string
  supervisorId?: string
}

export interface CancelResult {
  cancelled: true
}

export interface BrokerReceiveArgs {
  supervisorId?: string
}

export interface InboundAsk {
  from_run_id: string
  message_id: string
  message: string
  role?: string
}

export interface BrokerReceiveResult {
  asks: InboundAsk[]
}

export interface BrokerReplyArgs {
  toRunId: string
  replyTo: string
  message: string
  supervisorId?: string
}

export interface BrokerReplyResult {
  ok: true
}

/** The daemon's result object, returned unchanged. */
export type WorkflowToolResult = any

/* The workflow results are the daemon's objects, passed through unchanged; the
   original typed them `Record<string, unknown>`. The members named here are the ones
   the daemon (and avenor-sim) answers with; all optional, any others allowed. */

/** Which workflow node execution a runtime or work item belongs to. */
export interface ExecutionIdentity {
  workflow_id?: string
  node_id?: string
  activation_id?: string
  attempt_id?: string
  [key: string]: unknown
}

export interface WorkflowNodeSummary {
  node_id?: string
  status?: string
  activation_id?: string
  outcome?: string
  [key: string]: unknown
}

/** `workflow.status`. */
export interface WorkflowStatusResult {
  workflow_id?: string
  status?: string
  template_id?: string
  template_version?: unknown
  nodes?: WorkflowNodeSummary[]
  latest_seq?: number
  [key: string]: unknown
}

/** `workflow.wait`: the status once the workflow stopped running or the wait timed out. */
export type WorkflowWaitResult = WorkflowStatusResult

/** `workflow.inspect`: the status with the workflow's metadata, params and node details. */
export interface WorkflowInspectResult extends WorkflowStatusResult {
  metadata?: unknown
  params?: unknown
}

export interface WorkflowEvent {
  seq?: number
  type?: string
  [key: string]: unknown
}

/** `workflow.events`. */
export interface WorkflowEventsResult {
  workflow_id?: string
  events?: WorkflowEvent[]
  latest_seq?: number
  [key: string]: unknown
}

/** `workflow.command`. */
export interface WorkflowCommandResult {
  workflow_id?: string
  op?: string
  accepted?: boolean
  seq?: number
  status?: string
  [key: string]: unknown
}

export type WorkflowCompleteResult = WorkflowCommandResult
export type WorkflowGateResult = WorkflowCommandResult

/** A controller (`workflow.controller.create`, `.enable`, `.disable`). */
export interface WorkflowControllerRecord {
  controller_id?: string
  max_inflight?: number
  enabled?: boolean
  disabled_reason?: string
  [key: string]: unknown
}

/** `workflow.controller.list`. */
export interface WorkflowControllerListResult {
  controllers?: WorkflowControllerRecord[]
  [key: string]: unknown
}

/** `workflow.controller.status` (the record plus activations in flight); without
    `controllerId`, the controller list. */
export interface WorkflowControllerStatusResult extends WorkflowControllerRecord {
  inflight?: number
  controllers?: WorkflowControllerRecord[]
}

export interface WorkflowReadyToolArgs {
  controllerId: string
  limit?: number
  supervisorId?: string
}

/** A node that is ready to run. */
export type WorkflowReadyCandidate = ExecutionIdentity

/** The ready work of a controller; advisory (nothing is claimed). */
export interface WorkflowReadyResult {
  advisory?: boolean
  controller_id?: string
  candidates?: WorkflowReadyCandidate[]
  [key: string]: unknown
}

export interface WorkflowStatusToolArgs {
  workflowId: string
  supervisorId?: string
}

export interface WorkflowWaitToolArgs {
  workflowId: string
  /** `30`, `30s`, `5m`, `1h`; default 30 s. */
  timeout?: string
  supervisorId?: string
}

export interface WorkflowInspectToolArgs {
  workflowId: string
  supervisorId?: string
}

export interface WorkflowEventsToolArgs {
  workflowId: string
  afterSeq?: number
  limit?: number
  supervisorId?: string
}

export type WorkflowCompleteToolArgs = WorkflowCompleteParams & { supervisorId?: string }

export type WorkflowGateToolArgs = WorkflowGateParams & { supervisorId?: string }

export interface WorkflowControllerStatusToolArgs {
  /** Without it the result is the controller list. */
  controllerId?: string
  supervisorId?: string
}

export interface WorkflowControllerListToolArgs {
  supervisorId?: string
}

export interface WorkflowControllerCreateToolArgs {
  controllerId: string
  maxInflight: number
  supervisorId?: string
}

export interface WorkflowControllerEnableToolArgs {
  controllerId: string
  supervisorId?: string
}

export interface WorkflowControllerDisableToolArgs {
  controllerId: string
  reason: string
  supervisorId?: string
}

/** The client methods the workflow factories call, plus `close`. */
export type WorkflowClient = Pick<
  Client,
  | 'workflowStatus'
  | 'workflowWait'
  | 'workflowInspect'
  | 'workflowEvents'
  | 'workflowComplete'
  | 'workflowGate'
  | 'workflowControllerStatus'
  | 'workflowControllerList'
  | 'workflowControllerCreate'
  | 'workflowControllerEnable'
  | 'workflowControllerDisable'
  | 'workflowReady'
  | 'close'
>

export interface SupervisorClientHandle {
  client: WorkflowClient
  /** When false the tool closes the client after its call. */
  isSingleton: boolean
}

export type GetSupervisorClient = (supervisorId: string) => SupervisorClientHandle | Promise<SupervisorClientHandle>

/** The object `client.events()` returns is also async-iterable (it returns itself). */
export interface EventIterator {
  [Symbol.asyncIterator](): EventIterator
}
