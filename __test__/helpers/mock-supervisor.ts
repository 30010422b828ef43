// Mock daemons placed inside socketsRoot(), so that they are valid explicit
// supervisors for the tools; each one is closed after its test.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { socketsRoot } from '@dougbots/avenor-core'
import { MockServer, type Handler } from './mock-server'

export function useMockSupervisors(tag: string): (handler: Handler) => Promise<MockServer> {
  let seq = 0
  const open: MockServer[] = []
  afterEach(async () => {
    while (open.length) await open.pop()!.close()
  })
  return async (handler) => {
    // socketsRoot() only names the directory; the supervisor creates it when it starts.
    mkdirSync(socketsRoot(), { recursive: true, mode: 0o700 })
    const server = await MockServer.start(handler, join(socketsRoot(), `avenor-mcp-${tag}${++seq}.sock`))
    open.push(server)
    return server
  }
}
