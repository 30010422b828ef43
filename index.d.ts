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
  /** A controller's ready work (`workflow.ready`, see `methods::WORKFLOW_READY`). */
  workflowReady(controllerId: string, limit?: number | undefined | null): Promise<any>
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
  throw(error: unknown): Promise<IteratorResult<AvenorEvent, undefined>>
}

/** Follows one run and keeps its snapshot. */
export declare class RunObserver {
  /**
   * The next snapshot that satisfies `predicate` (any, without one); `null`
   * once the stream ended or the observer closed; rejects on a stream error.
   */
  next(predicate?: (snapshot: RunSnapshot) => boolean): Promise<RunSnapshot | null>
  /** The current snapshot. */
  snapshot(): RunSnapshot
  /** Calls `listener(snapshot, event)` on every change; returns the unsubscribe function. */
  subscribe(listener: (snapshot: RunSnapshot, event: Event) => void): () => void
  /** True once `close()` was called or the stream ended. */
  get closed(): boolean
  /**
   * Returns the iterator, ends pending `next()` calls, closes the client when
   * `close_client` was set, and resolves once the loop has stopped.
   */
  close(): Promise<void>
}

/** Folds events one by one into a bounded snapshot. */
export declare class RunReducer {
  constructor(limits?: Partial<RunReducerLimits>, initialSeed?: RunSnapshotSeed)
  /** Folds `event` in and returns a copy of the snapshot. */
  apply(event: unknown): RunSnapshot
  /** A copy of the current snapshot. */
  snapshot(): RunSnapshot
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

/** The release files to fetch. */
export interface AvenorDownload {
  version: string
  asset: string
  assetUrl: string
  checksumsUrl: string
}

/** What `postinstall` should do before fetching anything. */
export interface AvenorDownloadPlan {
  /** Messages to warn, without the `[avenor-postinstall]` prefix. */
  warnings: Array<string>
  /** Absent when nothing is to be downloaded. */
  download?: AvenorDownload
}

/** What became of a downloaded binary. */
export interface AvenorInstallOutcome {
  installed: boolean
  /** Where the binary was written; absent when it was not. */
  path?: string
  /** Messages to warn, without the `[avenor-postinstall]` prefix. */
  warnings: Array<string>
}

/** The pending asks addressed to the supervisor: `{ asks }`. */
export declare function brokerReceiveTool(args?: BrokerReceiveArgs): Promise<BrokerReceiveResult>

/** Answers an ask addressed to the supervisor: `{ ok: true }`. */
export declare function brokerReplyTool(args: BrokerReplyArgs): Promise<BrokerReplyResult>

/** Cancels a pending ask by its message id: `{ cancelled: true }`. */
export declare function cancelTool(args: CancelToolArgs): Promise<CancelResult>

export interface CloseOptions {
  skipShutdown?: boolean
}

/** A fresh snapshot (from `seed` when given). */
export declare function createRunSnapshot(seed?: RunSnapshotSeed, limits?: Partial<RunReducerLimits>): RunSnapshot

/** `workflowCompleteTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowCompleteTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowCompleteToolArgs) => Promise<WorkflowCompleteResult>

/** `workflowControllerCreateTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerCreateTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerCreateToolArgs) => Promise<WorkflowControllerRecord>

/** `workflowControllerDisableTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerDisableTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerDisableToolArgs) => Promise<WorkflowControllerRecord>

/** `workflowControllerEnableTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerEnableTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerEnableToolArgs) => Promise<WorkflowControllerRecord>

/** `workflowControllerListTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerListTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerListToolArgs) => Promise<WorkflowControllerListResult>

/** `workflowControllerStatusTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowControllerStatusTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowControllerStatusToolArgs) => Promise<WorkflowControllerStatusResult>

/** `workflowEventsTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowEventsTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowEventsToolArgs) => Promise<WorkflowEventsResult>

/** `workflowGateTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowGateTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowGateToolArgs) => Promise<WorkflowGateResult>

/** `workflowInspectTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowInspectTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowInspectToolArgs) => Promise<WorkflowInspectResult>

/** `workflowReadyTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowReadyTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowReadyToolArgs) => Promise<WorkflowReadyResult>

/** `workflowStatusTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowStatusTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowStatusToolArgs) => Promise<WorkflowStatusResult>

/** `workflowWaitTool` driven through the caller's `getSupervisorClient`. */
export declare function createWorkflowWaitTool(getSupervisorClient: GetSupervisorClient): (args: WorkflowWaitToolArgs) => Promise<WorkflowWaitResult>

/** The reducer's default bounds. */
export declare const DEFAULT_RUN_REDUCER_LIMITS: RunReducerLimits

/** Opens a connection to the daemon's control socket. */
export declare function dial(socketPath: string, opts?: DialOptions | undefined | null): Promise<Client>

export interface DialOptions {
  /** Per-call timeout in milliseconds (default 30 000). */
  callTimeoutMs?: number
}

export declare function evaluateThinkingPolicy(backend: string, value: string, resume?: boolean | undefined | null): 'ok' | 'unsupportedCapability' | 'unsupportedValue' | 'startOnly'

/** The newest events of a run from its log (or the daemon's history). */
export declare function eventsTool(args: EventsToolArgs): Promise<{ events: Event[] }>

/** The first non-empty text in an event-like value (depth-limited). */
export declare function extractEventText(value: unknown, depth?: number): string | undefined

/** Finds the avenor binary (AVENOR_BIN, PATH, installer dir, ~/.botfiles/bin). */
export declare function findAvenorBinary(): string

/** Resumes a run's session with a new prompt, as a new run. */
export declare function followUpTool(args: FollowUpToolArgs): Promise<FollowUpToolResult>

/** AVENOR_INSTALL_DIR, or `~/.cache/avenor/bin/avenor/<version>`. */
export declare function getInstallDir(version: string): string

/** AVENOR_VERSION, npm_package_version, or the version in a package.json. */
export declare function getVersion(packageJsonPath?: string | undefined | null): string

/** Status, recent events folded into a snapshot, transcript, tools and permissions. */
export declare function inspectTool(args: InspectToolArgs): Promise<InspectResult>

/**
 * The second half of postinstall: checks `bytes` (the release asset `asset`)
 * against `checksums` (the text of `checksums.txt`, `null` when it could not
 * be fetched) and writes it to `getInstallDir(version)/avenor` with mode 0755,
 * or refuses on a checksum mismatch. Never throws.
 */
export declare function installAvenorBinary(bytes: Uint8Array, checksums: string | undefined | null, version: string, asset: string): AvenorInstallOutcome

/** `<getInstallDir(version)>/avenor`, version defaulting to `getVersion()`. */
export declare function installerBinaryPath(version?: string | undefined | null): string

export declare function isThinkingLevel(value: unknown): value is ThinkingLevel

/** A normalised run event, or `null` when the input is not an event. */
export declare function normalizeRunEvent(input: unknown): NormalizedRunEvent | null

/** Starts observing `client` (any object with `events(options)`). */
export declare function observeRun(client: RunObserverClient, options?: ObserveRunOptions): RunObserver

/**
 * The SHA-256 listed for `asset` in the text of a release's `checksums.txt`
 * (`<sha256>  <asset>` lines), or `null` when no line names it.
 */
export declare function parseChecksums(text: string, asset: string): string | null

/** The broker's sessions: `{ peers }`. */
export declare function peersTool(args?: PeersToolArgs): Promise<PeersResult>

/**
 * The first half of postinstall: skip when `AVENOR_BIN` or `avenor` on PATH is
 * executable; warn and skip for `AVENOR_SKIP_DOWNLOAD=1`, an unsupported
 * platform or an invalid version; otherwise name the release files to fetch.
 */
export declare function planAvenorDownload(platform: string, arch: string): AvenorDownloadPlan

/**
 * The release asset built for a Node platform/arch pair
 * (`process.platform`, `process.arch`), or `null` where avenor ships none.
 */
export declare function platformMapping(platform: string, arch: string): string | null

/** `snapshot` with `event` folded in (a new object; the input is not changed). */
export declare function reduceRunSnapshot(snapshot: RunSnapshot, event: unknown, limits?: Partial<RunReducerLimits>): RunSnapshot

/**
 * Waits for a run's final output; `signal` (an AbortSignal) stops the wait at
 * once with an Error named `AbortError`.
 */
export declare function resultTool(args: ResultToolArgs): Promise<ResultResult>

/** snake_case on the JS side, as the original's constant. */
export interface RunReducerLimits {
  transcript_entries: number
  text_chars: number
  tool_preview_chars: number
  tools: number
  permissions: number
  legacy_keys: number
}

/** Shuts the daemon down and removes the runs' sentinels and event logs. */
export declare function shutdownTool(args?: ShutdownToolArgs): Promise<{ ok: true; cleaned_up: string[] }>

/**
 * The path of the `avenor-sim` binary shipped for this platform (the
 * simulated daemon, for `AVENOR_BIN` in integration tests), or an error
 * naming the platform package to install.
 */
export declare function simulatorPath(): string

/** `<AVENOR_HOME or ~/.avenor>/sockets`; only the path, nothing is created. */
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

/** The thinking levels, in this order. */
export declare const THINKING_LEVELS: ThinkingLevels

/** Throws `invalid spawn selector: …` unless `input` is a valid selection. */
export declare function validateSpawnSelection(input: SpawnSelectionInput, rosterConfigured?: boolean): void

export declare function validateThinking(value?: unknown): void

export declare function validateThinkingForBackend(backend: string, value?: unknown): void

export declare function validateThinkingForBackendResume(backend: string, value?: unknown): void

/** Whether `bytes` hash (SHA-256) to `expectedHex`, ignoring case. */
export declare function verifyChecksum(bytes: Uint8Array, expectedHex: string): boolean

/** Completes a workflow node (`workflow.command` op `complete`). */
export declare function workflowCompleteTool(args: WorkflowCompleteToolArgs): Promise<WorkflowCompleteResult>

/** Creates a workflow controller. */
export declare function workflowControllerCreateTool(args: WorkflowControllerCreateToolArgs): Promise<WorkflowControllerRecord>

/** Disables a workflow controller (a reason is required). */
export declare function workflowControllerDisableTool(args: WorkflowControllerDisableToolArgs): Promise<WorkflowControllerRecord>

/** Enables a workflow controller. */
export declare function workflowControllerEnableTool(args: WorkflowControllerEnableToolArgs): Promise<WorkflowControllerRecord>

/** The workflow controllers (`workflow.controller.list`). */
export declare function workflowControllerListTool(args: WorkflowControllerListToolArgs): Promise<WorkflowControllerListResult>

/** A controller's status, or without `controllerId` the controller list. */
export declare function workflowControllerStatusTool(args: WorkflowControllerStatusToolArgs): Promise<WorkflowControllerStatusResult>

/** A workflow's events (`workflow.events`). */
export declare function workflowEventsTool(args: WorkflowEventsToolArgs): Promise<WorkflowEventsResult>

/** Operates a workflow gate (`workflow.command` op `gate`). */
export declare function workflowGateTool(args: WorkflowGateToolArgs): Promise<WorkflowGateResult>

/** A workflow's full record (`workflow.inspect`). */
export declare function workflowInspectTool(args: WorkflowInspectToolArgs): Promise<WorkflowInspectResult>

/** The ready work of a controller (`workflow.ready`); `limit` is passed as given. */
export declare function workflowReadyTool(args: WorkflowReadyToolArgs): Promise<WorkflowReadyResult>

/** A workflow's status (`workflow.status`). */
export declare function workflowStatusTool(args: WorkflowStatusToolArgs): Promise<WorkflowStatusResult>

/** Waits for a workflow (`workflow.wait`, `timeout_ms` default 30 000). */
export declare function workflowWaitTool(args: WorkflowWaitToolArgs): Promise<WorkflowWaitResult>
