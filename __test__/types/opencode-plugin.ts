// The OpenCode plugin's patterns (consumers.md §3): the monitor dials the
// singleton's socket and observes a run; close() is a promise it `.catch`es.
import { Supervisor, createRunSnapshot, dial, extractEventText, observeRun } from '@dougbots/avenor-core'
import type { RunObserver, RunSnapshot } from '@dougbots/avenor-core'

export async function monitor(runtimeId: string): Promise<RunSnapshot | null> {
  const supervisorId = Supervisor.currentInstance()?.supervisorId
  if (!supervisorId) return null
  const client = await dial(supervisorId)
  const observer: RunObserver = observeRun(client, { runtime_id: runtimeId, replay: true, close_client: true })
  const unsubscribe = observer.subscribe(() => {})
  const snapshot = await observer.next()
  unsubscribe()
  observer.close().catch(() => {})
  return snapshot
}

export function fallback(runId: string): RunSnapshot {
  return { ...createRunSnapshot(), identity: { run_id: runId, run_label: runId } }
}

export const text: string | undefined = extractEventText({ event: 'agent.message', delta: 'hello' })

// observeRun also takes a client whose events() is only async-iterable.
export function observeIterable(events: AsyncIterable<Record<string, unknown> & { event: string }>): RunObserver {
  return observeRun({ events: () => events })
}
