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

export interface StatusResult {
  run_id: string
  label: string
  status: 'running' | 'waiting' | 'done' | 'failed' | 'timeout' | 'killed'
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
  subject?: string
  poll_id?: string
  source?: string
  result?: unknown
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
  | 'close'
>

export interface SupervisorClientHandle {
  client: WorkflowClient
  /** When false the tool closes the client after its call. */
  isSingleton: boolean
}

export type GetSupervisorClient = (supervisorId: string) => SupervisorClientHandle | Promise<SupervisorClientHandle>

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/** A connection to the avenor daemon, as returned by `dial()`. */
export declare class Client {
  /** Sends one JSON-RPC request and resolves with its `result`. */
  call(method: string, params?: any | undefined | null): Promise<any>
  status(runtimeId?: string | undefined | null): Promise<any>
  list(): Promise<any[]>
  spawn(params: any): Promise<SpawnResult>
  shutdown(mode?: string | undefined | null): Promise<void>
  answerPermission(runtimeId: string, requestId: string, optionId: string, message?: string | undefined | null): Promise<void>
  prompt(runtimeId: string, text: string): Promise<void>
  cancel(runtimeId?: string | undefined | null): Promise<void>
  history(opts: HistoryOptions): Promise<HistoryResult>
  result(runtimeId?: string | undefined | null): Promise<any>
  interruptAndPrompt(runtimeId: string, text: string, keepQueue?: boolean | undefined | null): Promise<void>
  /** Subscribes this connection to events (once; see the README). */
  subscribe(opts?: SubscribeOptions): Promise<void>
  /** An async iterator (and iterable) over this connection's events. */
  events(opts?: SubscribeOptions): EventIterator
  workflowStatus(workflowId: string): Promise<any>
  workflowInspect(workflowId: string): Promise<any>
  workflowWait(workflowId: string, timeoutMs?: number | undefined | null): Promise<any>
  workflowEvents(workflowId: string, opts?: { afterSeq?: number; limit?: number }): Promise<any>
  workflowCommand(workflowId: string, command: any): Promise<any>
  workflowComplete(params: WorkflowCompleteParams): Promise<any>
  workflowGate(params: WorkflowGateParams): Promise<any>
  workflowHeartbeat(params: WorkflowHeartbeatParams): Promise<any>
  workflowControllerStatus(controllerId: string): Promise<any>
  workflowControllerEnable(controllerId: string): Promise<any>
  workflowControllerList(): Promise<any>
  workflowControllerCreate(params: WorkflowControllerCreateParams): Promise<any>
  workflowControllerDisable(controllerId: string, reason: string): Promise<any>
  brokerSend(fromRunId: string, toRunId: string, message: string, role?: string | undefined | null): Promise<void>
  brokerAsk(toRunId: string, message: string, role?: string | undefined | null): Promise<any>
  brokerPeers(): Promise<any[]>
  brokerCancel(messageId: string): Promise<void>
  brokerReceive(): Promise<any[]>
  brokerReply(toRunId: string, replyTo: string, message: string): Promise<void>
  /** True after `close()`, or once the socket was closed or failed. */
  isClosed(): boolean
  /** Closes the connection; idempotent, never throws. */
  close(): void
}

export declare class EventIterator {
  next(): Promise<IteratorResult<AvenorEvent, undefined>>
  /** Stops the iterator; its pending `next()` calls resolve as done. */
  return(): Promise<IteratorResult<AvenorEvent, undefined>>
  /** Stops the iterator and rejects with `error`. */
  throw(error: unknown): Promise<never>
}

/** Manages the avenor daemon of this process and a client to it. */
export declare class Supervisor {
  /** The singleton, starting (or replacing) the daemon when needed. */
  static get(opts?: SupervisorOptions | undefined | null): Promise<Supervisor>
  /** The singleton, or `null`; never starts anything. */
  static currentInstance(): Supervisor | null
  /** Whether a singleton exists whose `supervisorId` is exactly `id`. */
  static isCurrentInstance(id: string): boolean
  /** The control-socket path (`<socketsRoot>/avenor-mcp-<pid>.sock`). */
  get supervisorId(): string
  /** The client to the daemon; throws when crashed, closed or not started. */
  getClient(): Client
  /** Spawns a run through this supervisor and registers it (core-spec §5.4). */
  spawn(params: SpawnParams, runId?: string, metadata?: SpawnMetadata): Promise<RunInfo>
  /**
   * Shuts the daemon down (unless `skipShutdown`), stops the child, removes the
   * socket and forgets this instance.
   */
  close(opts?: CloseOptions | undefined | null): Promise<void>
}

/** Answers a run's pending permission request. */
export declare function answerPermissionTool(args: AnswerPermissionToolArgs): Promise<{ ok: true }>

/** Asks a run and waits for its reply: `{ reply, from_run_id }`. */
export declare function askTool(args: AskToolArgs): Promise<AskResult>

/** The pending asks addressed to the supervisor: `{ asks }`. */
export declare function brokerReceiveTool(args?: BrokerReceiveArgs): Promise<BrokerReceiveResult>

/** Answers an ask addressed to the supervisor: `{ ok: true }`. */
export declare function brokerReplyTool(args: BrokerReplyArgs): Promise<BrokerReplyResult>

/** Cancels a pending ask by its message id: `{ cancelled: true }`. */
export declare function cancelTool(args: CancelToolArgs): Promise<CancelResult>

export interface CloseOptions {
  skipShutdown?: boolean
}

/** `workflowCompleteTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowCompleteTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowCompleteToolArgs) => Promise<WorkflowToolResult>

/** `workflowControllerCreateTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerCreateTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerCreateToolArgs) => Promise<WorkflowToolResult>

/** `workflowControllerDisableTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerDisableTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerDisableToolArgs) => Promise<WorkflowToolResult>

/** `workflowControllerEnableTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerEnableTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerEnableToolArgs) => Promise<WorkflowToolResult>

/** `workflowControllerListTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerListTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerListToolArgs) => Promise<WorkflowToolResult>

/** `workflowControllerStatusTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerStatusTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerStatusToolArgs) => Promise<WorkflowToolResult>

/** `workflowEventsTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowEventsTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowEventsToolArgs) => Promise<WorkflowToolResult>

/** `workflowGateTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowGateTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowGateToolArgs) => Promise<WorkflowToolResult>

/** `workflowInspectTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowInspectTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowInspectToolArgs) => Promise<WorkflowToolResult>

/** `workflowStatusTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowStatusTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowStatusToolArgs) => Promise<WorkflowToolResult>

/** `workflowWaitTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowWaitTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowWaitToolArgs) => Promise<WorkflowToolResult>

/** Opens a connection to the daemon's control socket. */
export declare function dial(socketPath: string, opts?: DialOptions | undefined | null): Promise<Client>

export interface DialOptions {
  /** Per-call timeout in milliseconds (default 30 000). */
  callTimeoutMs?: number
}

/** The newest events of a run from its log (or the daemon's history). */
export declare function eventsTool(args: EventsToolArgs): Promise<{ events: Event[] }>

/** Finds the avenor binary (AVENOR_BIN, PATH, installer dir, ~/.botfiles/bin). */
export declare function findAvenorBinary(): string

/** Resumes a run's session with a new prompt, as a new run. */
export declare function followUpTool(args: FollowUpToolArgs): Promise<FollowUpToolResult>

/** AVENOR_INSTALL_DIR, or `~/.cache/avenor/bin/avenor/<version>`. */
export declare function getInstallDir(version: string): string

/** AVENOR_VERSION, npm_package_version, or the version in a package.json. */
export declare function getVersion(packageJsonPath?: string | undefined | null): string

/** `<getInstallDir(version)>/avenor`, version defaulting to `getVersion()`. */
export declare function installerBinaryPath(version?: string | undefined | null): string

export interface IterResult {
  value?: any
  done: boolean
}

/** The broker's sessions: `{ peers }`. */
export declare function peersTool(args?: PeersToolArgs): Promise<PeersResult>

/** Shuts the daemon down and removes the runs' sentinels and event logs. */
export declare function shutdownTool(args?: ShutdownToolArgs): Promise<{ ok: true; cleaned_up: string[] }>

/** `<AVENOR_HOME or ~/.avenor>/sockets`, created with mode 0700. */
export declare function socketsRoot(): string

export interface SpawnMetadata {
  rosterFile?: string
  rosterEntry?: string
  effectiveAgent?: string
  effectiveModel?: string
  effectiveBackend?: string
}

/** Spawns a run (auto-starting the daemon unless `supervisorId` is given). */
export declare function spawnTool(args: SpawnToolArgs): Promise<SpawnToolResult>

/** One run's status (`runId`), or an array for every runtime of the daemon. */
export declare function statusTool(args: StatusToolArgs): Promise<StatusResult | StatusResult[]>

export interface SupervisorOptions {
  binaryPath?: string
  callTimeoutMs?: number
}

/** Completes a workflow node (`workflow.command` op `complete`). */
export declare function workflowCompleteTool(args: WorkflowCompleteToolArgs): Promise<WorkflowToolResult>

/** Creates a workflow controller. */
export declare function workflowControllerCreateTool(args: WorkflowControllerCreateToolArgs): Promise<WorkflowToolResult>

/** Disables a workflow controller (a reason is required). */
export declare function workflowControllerDisableTool(args: WorkflowControllerDisableToolArgs): Promise<WorkflowToolResult>

/** Enables a workflow controller. */
export declare function workflowControllerEnableTool(args: WorkflowControllerEnableToolArgs): Promise<WorkflowToolResult>

/** The workflow controllers (`workflow.controller.list`). */
export declare function workflowControllerListTool(args: WorkflowControllerListToolArgs): Promise<WorkflowToolResult>

/** A controller's status, or without `controllerId` the controller list. */
export declare function workflowControllerStatusTool(args: WorkflowControllerStatusToolArgs): Promise<WorkflowToolResult>

/** A workflow's events (`workflow.events`). */
export declare function workflowEventsTool(args: WorkflowEventsToolArgs): Promise<WorkflowToolResult>

/** Operates a workflow gate (`workflow.command` op `gate`). */
export declare function workflowGateTool(args: WorkflowGateToolArgs): Promise<WorkflowToolResult>

/** A workflow's full record (`workflow.inspect`). */
export declare function workflowInspectTool(args: WorkflowInspectToolArgs): Promise<WorkflowToolResult>

/** A workflow's status (`workflow.status`). */
export declare function workflowStatusTool(args: WorkflowStatusToolArgs): Promise<WorkflowToolResult>

/** Waits for a workflow (`workflow.wait`, `timeout_ms` default 30 000). */
export declare function workflowWaitTool(args: WorkflowWaitToolArgs): Promise<WorkflowToolResult>
