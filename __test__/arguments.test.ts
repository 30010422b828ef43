// Bad arguments reject (never throw synchronously) with a message naming the
// argument, and values sent to the daemon cross as JSON.stringify sends them.
import { afterEach, describe, expect, it } from 'vitest'
import { Supervisor, dial, resultTool, statusTool } from '@dougbots/avenor-core'
import { MockServer } from './helpers/mock-server'

let server: MockServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

/** Calls `f`; a synchronous throw fails the test, a rejection is returned. */
async function rejection(f: () => Promise<unknown>): Promise<Error> {
  let promise: Promise<unknown>
  try {
    promise = f()
  } catch (error) {
    throw new Error(`threw synchronously: ${(error as Error).message}`)
  }
  return promise.then(
    () => {
      throw new Error('resolved')
    },
    (error: Error) => error,
  )
}

describe('promise-returning exports reject on bad arguments', () => {
  it('dial', async () => {
    expect((await rejection(() => (dial as any)())).message).toBe('dial: socketPath must be a string')
    expect((await rejection(() => (dial as any)(123))).message).toBe('dial: socketPath must be a string')
  })

  it('dial with callTimeoutMs null uses the default timeout', async () => {
    server = await MockServer.start(() => ({ result: { ok: true } }))
    const client = await dial(server.path, { callTimeoutMs: null as any })
    expect(await client.call('x')).toEqual({ ok: true })
    client.close()
  })

  it('client methods', async () => {
    server = await MockServer.start(() => ({ result: {} }))
    const client: any = await dial(server.path)
    const cases: [() => Promise<unknown>, string][] = [
      [() => client.status(123), 'client.status: runtimeId must be a string'],
      [() => client.call(), 'client.call: method must be a string'],
      [() => client.spawn(), 'client.spawn: params must be an object'],
      [() => client.workflowWait('w', 'x'), 'client.workflowWait: timeoutMs must be a number'],
      [() => client.prompt(1, 'x'), 'client.prompt: runtimeId must be a string'],
      [() => client.prompt('rt', {}), 'client.prompt: text must be a string'],
      [() => client.answerPermission('rt', 'q'), 'client.answerPermission: optionId must be a string'],
      [() => client.interruptAndPrompt('rt', 'x', 'yes'), 'client.interruptAndPrompt: keepQueue must be a boolean'],
      [() => client.workflowComplete(5), 'client.workflowComplete: params must be an object'],
      [() => client.workflowReady(undefined), 'client.workflowReady: controllerId must be a string'],
      [() => client.brokerReply('a', 'b'), 'client.brokerReply: message must be a string'],
    ]
    for (const [call, message] of cases) expect((await rejection(call)).message).toBe(message)
    expect(server.requests).toEqual([])
    client.close()
  })

  it('Supervisor.get: a wrong binaryPath rejects; callTimeoutMs null is the default', async () => {
    expect((await rejection(() => Supervisor.get({ binaryPath: 5 } as any))).message).toBe(
      'Supervisor.get: binaryPath must be a string',
    )
    const missing = await rejection(() => Supervisor.get({ binaryPath: '/nonexistent/avenor', callTimeoutMs: null as any }))
    expect(missing.message).toBe('failed to start avenor: spawn /nonexistent/avenor ENOENT')
  })

  it('resultTool with a signal that is not an AbortSignal', async () => {
    expect((await rejection(() => resultTool({ signal: 'x' } as any))).message).toBe('resultTool: signal must be an AbortSignal')
  })

  it('resultTool with a 10 MB string as its argument returns at once (its characters are not enumerated)', async () => {
    const started = Date.now()
    const promise = resultTool('x'.repeat(10 * 1024 * 1024) as any, undefined as any)
    expect(Date.now() - started).toBeLessThan(1000)
    await promise.catch(() => {})
  })
})

describe('params cross as JSON.stringify sends them', () => {
  it('toJSON, NaN and Infinity, functions and undefined', async () => {
    server = await MockServer.start(() => ({ result: {} }))
    const client = await dial(server.path)
    const when = new Date(Date.UTC(2026, 11, 7))
    await client.call('x', {
      when,
      nan: NaN,
      inf: -Infinity,
      fn: () => 1,
      gone: undefined,
      list: [undefined, () => 1, NaN],
      custom: { toJSON: () => 'custom' },
    })
    await client.workflowCommand('w', { at: when })
    expect(server.rawLines[0]).toBe(
      `{"jsonrpc":"2.0","id":1,"method":"x","params":{"when":"2026-12-07T00:00:00.000Z","nan":null,"inf":null,"list":[null,null,null],"custom":"custom"}}`,
    )
    expect(server.requests[1].params).toEqual({ workflow_id: 'w', command: { at: '2026-12-07T00:00:00.000Z' } })
    client.close()
  })

  it('a BigInt or a cycle rejects with the TypeError JSON.stringify throws, and nothing is sent', async () => {
    server = await MockServer.start(() => ({ result: {} }))
    const client = await dial(server.path)
    const big = await rejection(() => client.call('x', { n: 2n }))
    expect(big).toBeInstanceOf(TypeError)
    const cycle: any = { a: 1 }
    cycle.self = cycle
    const circular = await rejection(() => client.call('x', cycle))
    expect(circular).toBeInstanceOf(TypeError)
    expect(circular.message).toMatch(/circular/i)
    await client.call('after')
    expect(server.requests.map((r) => r.method)).toEqual(['after'])
    client.close()
  })
})

describe('rejections carry the caller’s stack', () => {
  // A client call's rejection names the functions awaiting it (in Node, V8's
  // async stack, made when it rejects: capturing a stack per call costs more
  // than the round trip; in Bun, the stack captured when the call started).
  // A tool's rejection has the stack captured when the call started.
  it('a timeout, an RPC error and a tool error name the function that made the call', async () => {
    server = await MockServer.start((req) => (req.method === 'fails' ? { error: { code: -32000, message: 'nope', data: { x: 1 } } } : undefined))
    const client = await dial(server.path, { callTimeoutMs: 50 })
    async function waitsForNothing() {
      return await client.call('never')
    }
    async function asksForAFailure() {
      return await client.call('fails')
    }
    async function asksAnUnknownSupervisor() {
      return statusTool({ runId: 'r', supervisorId: '/not/in/the/sockets/root.sock' })
    }
    const timeout: any = await waitsForNothing().catch((e) => e)
    expect(timeout.message).toBe('read response: timeout')
    expect(timeout.stack).toMatch(/^Error: read response: timeout\n/)
    expect(timeout.stack).toContain('waitsForNothing')
    const rpc: any = await asksForAFailure().catch((e) => e)
    expect(rpc).toMatchObject({ message: 'rpc error [-32000]: nope', rpcCode: -32000, rpcData: { x: 1 } })
    expect(rpc.stack).toContain('asksForAFailure')
    const tool: any = await asksAnUnknownSupervisor().catch((e) => e)
    expect(tool.stack).toContain('asksAnUnknownSupervisor')
    expect(tool.stack.split('\n')[0]).toBe(`Error: ${tool.message}`)
    // Not awaited: the message and its header line are there all the same.
    const unawaited: any = await new Promise((resolve) => client.call('fails').catch(resolve))
    expect(unawaited.stack.split('\n')[0]).toBe('Error: rpc error [-32000]: nope')
    expect(unawaited.rpcCode).toBe(-32000)
    client.close()
  })
})
