// Results built or read by hosts with a plain `string` status, as the original's
// `status: string` allowed (opencode renders, MCP passes through).
import type { ResultResult, StatusResult } from '@dougbots/avenor-core'

export function resultFrom(status: string, output?: string): ResultResult {
  return { run_id: 'r', label: 'l', status, ready: status === 'done', output }
}

export function statusFrom(status: string): StatusResult {
  return { run_id: 'r', label: 'l', status }
}

// The literals still type-check where a known status is meant.
export const done: ResultResult['status'] = 'done'
export const statusWord: string = statusFrom('killed').status
