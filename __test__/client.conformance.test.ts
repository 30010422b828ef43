// core-spec §18 cases 1–15: the client against in-test mock servers, read
// both ways a dialled connection can be: by the host's own event loop (where
// the runtime has process.getBuiltinModule, Node >= 20.16 and Bun), and by
// the addon's Tokio threads (the fallback elsewhere).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { dial, type Client } from '@dougbots/avenor-core'
import { MockServer } from './helpers/mock-server'

let server: MockServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})


const READERS = [
  ['the host event loop', false],
  ['Tokio (no process.getBuiltinModule)', true],
] as const

describe.each(READERS)('read by %s', (_reader, withoutBuiltinModule) => {
  const original = process.getBuiltinModule
  beforeAll(() => {
    if (withoutBuiltinModule) (process as any).getBuiltinModule = undefined
  })
  afterAll(() => {
    process.getBuiltinModule = original
  })

  describe('dial', () => {
    it('1: rejects with the dial prefix when nothing listens', async () => {
      const err = await dial('/tmp/no-such-socket-12345.sock').catch((e: Error) => e)
      expect(err).toBeInstanceOf(Error)
      expect((err as Error).message).toMatch(/^dial control socket: /)
      expect((err as Error).message).toBe('dial control socket: connect ENOENT /tmp/no-such-socket-12345.sock')
    })
  })

  describe('calls', () => {
    it('2: status() sends no params and returns the result verbatim', async () => {
      const result = { phase: 'idle', nested: { a: [1, 'two', null] } }
      server = await MockServer.start(() => ({ result }))
      const client = await dial(server.path)
      expect(await client.status()).toEqual(result)
      expect(server.rawLines[0]).toBe('{"jsonrpc":"2.0","id":1,"method":"status"}')
      client.close()
    })

    it('a reply with invalid UTF-8 inside a string resolves with U+FFFD in its place', async () => {
      server = await MockServer.start((req, srv) => {
        const head = Buffer.from(`{"jsonrpc":"2.0","id":${req.id},"result":{"text":"a`)
        srv.sendBytes(Buffer.concat([head, Buffer.from([0xff, 0xc3]), Buffer.from('b"}}\n')]))
        return undefined
      })
      const client = await dial(server.path, { callTimeoutMs: 3000 })
      expect(await client.call('bytes')).toEqual({ text: 'a\ufffd\ufffdb' })
      client.close()
    })

    it('a null result resolves with null however the reply is spelled; a missing result with undefined', async () => {
      const replies: Record<string, (id: number) => string> = {
        plain: (id) => `{"jsonrpc":"2.0","id":${id},"result":null}`,
        spaced: (id) => `{"jsonrpc": "2.0", "id": ${id}, "result": null}`,
        reordered: (id) => `{"result":null,"id":${id},"jsonrpc":"2.0"}`,
        missing: (id) => `{"jsonrpc":"2.0","id":${id}}`,
      }
      server = await MockServer.start((req, srv) => {
        srv.sendRaw(replies[req.method]!(req.id) + '\n')
        return null
      })
      const client = await dial(server.path, { callTimeoutMs: 3000 })
      expect(await client.call('plain')).toBeNull()
      expect(await client.call('spaced')).toBeNull()
      expect(await client.call('reordered')).toBeNull()
      expect(await client.call('missing')).toBeUndefined()
      client.close()
    })

    it('typed calls reach the socket in the order they were made, un-awaited', async () => {
      server = await MockServer.start(() => ({ result: {} }))
      const client = await dial(server.path)
      const expected: string[] = []
      const calls: Promise<unknown>[] = []
      for (let round = 0; round < 60; round++) {
        const rt = `rt_${round}`
        calls.push(client.cancel(rt), client.prompt(rt, `p${round}`), client.status(rt))
        calls.push(client.call('custom', { round }), client.interruptAndPrompt(rt, `i${round}`))
        expected.push(`cancel ${rt}`, `prompt ${rt}`, `status ${rt}`, `custom ${round}`, `interrupt_and_prompt ${rt}`)
      }
      await Promise.all(calls)
      const seen = server.requests.map((r: any) => `${r.method} ${r.params?.runtime_id ?? r.params?.round}`)
      expect(seen).toEqual(expected)
      expect(server.requests.map((r: any) => r.id)).toEqual(expected.map((_, i) => i + 1))
      client.close()
    })

    it('3: status(id) sends {runtime_id}', async () => {
      server = await MockServer.start(() => ({ result: {} }))
      const client = await dial(server.path)
      await client.status('rt-123')
      expect(server.requests[0].params).toEqual({ runtime_id: 'rt-123' })
      client.close()
    })

    it('4: an RPC error rejects with its code and message, and carries rpcCode/rpcData', async () => {
      server = await MockServer.start(() => ({ error: { code: -32000, message: 'something went wrong', data: { retryable: true } } }))
      const client = await dial(server.path)
      const err = await client.status().catch((e) => e)
      expect(err).toBeInstanceOf(Error)
      expect(err.message).toBe('rpc error [-32000]: something went wrong')
      expect(err.rpcCode).toBe(-32000)
      expect(err.rpcData).toEqual({ retryable: true })
      client.close()
    })

    it('5: a silent server times the call out', async () => {
      server = await MockServer.start(() => null)
      const client = await dial(server.path, { callTimeoutMs: 100 })
      const started = Date.now()
      await expect(client.status()).rejects.toThrow('read response: timeout')
      expect(Date.now() - started).toBeGreaterThanOrEqual(90)
      client.close()
    })

    it('6: a closed client rejects at once', async () => {
      server = await MockServer.start()
      const client = await dial(server.path)
      expect(client.isClosed()).toBe(false)
      client.close()
      client.close()
      expect(client.isClosed()).toBe(true)
      await expect(client.status()).rejects.toThrow('control socket is closed')
    })

    it('7: concurrent calls are routed by id, even when answered out of order', async () => {
      const held: Array<() => void> = []
      server = await MockServer.start(
        (req, s) =>
          new Promise((resolve) => {
            held.push(() => resolve({ result: { method: req.method, params: req.params } }))
            if (held.length === 2) held.reverse().forEach((release) => release())
            void s
          }),
      )
      const client = await dial(server.path)
      const [a, b] = await Promise.all([client.call('alpha', { key: 'a' }), client.call('beta', { key: 'b' })])
      expect(a).toEqual({ method: 'alpha', params: { key: 'a' } })
      expect(b).toEqual({ method: 'beta', params: { key: 'b' } })
      client.close()
    })

    it('pending calls fail with "connection closed" when the daemon goes away', async () => {
      server = await MockServer.start(() => null)
      const client = await dial(server.path)
      const pending = client.status()
      await server.waitFor(() => server!.requests.length === 1)
      server.dropClients()
      await expect(pending).rejects.toThrow('read response: connection closed')
      expect(client.isClosed()).toBe(true)
    })

    it('ignores unparsable lines and unknown ids; reads an 8 MiB reply intact', async () => {
      const big = 'x'.repeat(8 * 1024 * 1024)
      server = await MockServer.start((req, s) => {
        s.sendRaw('this is not json\n{"id":999,"result":"stray"}\n\n')
        return { result: { final_output: big, id: req.id } }
      })
      const client = await dial(server.path)
      const r = await client.result('rt-1')
      expect(r.final_output.length).toBe(big.length)
      expect(r.final_output === big).toBe(true)
      client.close()
    })

    it('large replies of every shape resolve intact and in their own calls, also when the daemon closes right after one', async () => {
      // Large replies are parsed off the host's thread (see the README); their
      // shapes take different ways back: few long members, many small ones,
      // an error, a malformed line (the call then times out), and one written
      // just before the connection ends.
      const many = Array.from({ length: 60_000 }, (_, n) => ({ n, s: 'v'.repeat(20) }))
      const long = 'é'.repeat(1_500_000)
      server = await MockServer.start((req, s) => {
        const method = req.method
        if (method === 'many') return { result: many }
        if (method === 'proto') return { result: JSON.parse(`{"__proto__":{"polluted":true},"pad":"${'p'.repeat(2_000_000)}"}`) }
        if (method === 'smallProto') return { result: JSON.parse('{"__proto__":{"polluted":true},"n":[1,{"__proto__":null}]}') }
        if (method === 'long') return { result: { text: long, id: req.id } }
        if (method === 'error') return { error: { code: -32000, message: 'm'.repeat(2_000_000) } }
        if (method === 'malformed') {
          s.sendRaw(`{"jsonrpc":"2.0","id":${req.id},"result":"${'x'.repeat(2_000_000)}\n`)
          return undefined
        }
        if (method === 'last') {
          s.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: 'y'.repeat(2_000_000) }) + '\n')
          s.endClients()
          return undefined
        }
        return { result: 'small' }
      })
      const client = await dial(server.path, { callTimeoutMs: 2000 })
      const [a, b, small, err, bad] = await Promise.all([
        client.call('many'),
        client.call('long'),
        client.call('small'),
        client.call('error').catch((e) => e),
        client.call('malformed').catch((e) => e),
      ])
      expect(a).toEqual(many)
      expect(b.text === long).toBe(true)
      expect(small).toBe('small')
      expect(err.message).toBe(`rpc error [-32000]: ${'m'.repeat(2_000_000)}`)
      expect(err.rpcCode).toBe(-32000)
      expect(bad.message).toBe('read response: timeout')
      // A large reply's `__proto__` member is an own property, as JSON.parse makes it.
      const proto = await client.call('proto')
      expect(Object.getPrototypeOf(proto)).toBe(Object.prototype)
      expect(Object.hasOwn(proto, '__proto__')).toBe(true)
      expect(proto.pad.length).toBe(2_000_000)
      // And so it is in a small one (made by another path on each backend).
      const smallProto = await client.call('smallProto')
      expect(Object.getPrototypeOf(smallProto)).toBe(Object.prototype)
      expect(Object.hasOwn(smallProto, '__proto__')).toBe(true)
      expect(Object.hasOwn(smallProto.n[1], '__proto__')).toBe(true)
      expect(({} as any).polluted).toBeUndefined()
      expect((await client.call('last')).length).toBe(2_000_000)
      client.close()
    })

    it('large requests are written whole and never interleave', async () => {
      server = await MockServer.start((req) => ({ result: { size: (req.params as { big?: string } | undefined)?.big?.length ?? 0 } }))
      const client = await dial(server.path)
      const a = 'a'.repeat(3 * 1024 * 1024)
      const b = 'b'.repeat(3 * 1024 * 1024)
      const [ra, rb, rc] = await Promise.all([client.call('big', { big: a }), client.call('big', { big: b }), client.status()])
      expect(ra).toEqual({ size: a.length })
      expect(rb).toEqual({ size: b.length })
      expect(rc).toEqual({ size: 0 })
      expect(server.requests.map((r) => r.id).sort()).toEqual([1, 2, 3])
      client.close()
    })

    it('reply lines read as the daemon writes them, or not: an odd member, an error beside a result, a malformed result', async () => {
      const head = (id: number) => `{"jsonrpc":"2.0","id":${id},"result":`
      server = await MockServer.start((req, s) => {
        const id = req.id
        if (req.method === 'extra') s.sendRaw(`${head(id)}{"a":1},"extra":2}\n`)
        else if (req.method === 'both') s.sendRaw(`${head(id)}{},"error":{"code":-5,"message":"no"}}\n`)
        else if (req.method === 'broken' || req.method === 'prompt') {
          // A malformed reply first: the call waits on for the real one.
          s.sendRaw(`${head(id)}{"broken":}}\n`)
          setTimeout(() => s.sendRaw(`${head(id)}{"fixed":true}}\n`), 20)
        } else return { result: { plain: true } }
        return undefined
      })
      const client = await dial(server.path, { callTimeoutMs: 1000 })
      expect(await client.call('extra')).toEqual({ a: 1 })
      await expect(client.call('both')).rejects.toMatchObject({ message: 'rpc error [-5]: no', rpcCode: -5 })
      expect(await client.call('broken')).toEqual({ fixed: true })
      expect(await client.prompt('rt-1', 'hi')).toBeUndefined()
      expect(await client.call('plain')).toEqual({ plain: true })
      client.close()
    })

    it('a reply without result resolves undefined', async () => {
      server = await MockServer.start(() => ({}))
      const client = await dial(server.path)
      expect(await client.call('anything')).toBeUndefined()
      client.close()
    })
  })

  describe('events', () => {
    /** A sole reader of `client` that has subscribed and read one event, so it has taken what was queued. */
    async function readerPastOneEvent(client: Client) {
      const events = client.events()
      const warm = events.next()
      await server!.waitFor(() => server!.requests.length === 1)
      server!.event({ event: 'e', n: 0 })
      expect((await warm).value.n).toBe(0)
      return events
    }

    it('8: events() subscribes once without params and yields notifications', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const it = client.events()
      expect(typeof it[Symbol.asyncIterator]).toBe('function')
      expect(it[Symbol.asyncIterator]()).toBe(it)
      const first = it.next()
      await server.waitFor(() => server!.requests.length === 1)
      server.event({ event: 'agent.status', phase: 'thinking' })
      expect(await first).toEqual({ value: { event: 'agent.status', phase: 'thinking' }, done: false })
      expect(server.rawLines[0]).toBe('{"jsonrpc":"2.0","id":1,"method":"subscribe"}')
      client.close()
    })

    it('9 and 10: subscribe options are sent normalised', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const a = await dial(server.path)
      const itA = a.events({ runtime_id: 'rt-2', replay: true, limit: 8, after_seq: 4 })
      const pendingA = itA.next()
      await server.waitFor(() => server!.requests.length === 1)
      expect(server.requests[0].params).toEqual({ runtime_id: 'rt-2', replay: true, limit: 8, after_seq: 4 })
      const b = await dial(server.path)
      const pendingB = b.events({ runtime_id: 'rt-2', replay: false }).next()
      await server.waitFor(() => server!.requests.length === 2)
      expect(server.requests[1].params).toEqual({ runtime_id: 'rt-2', replay: false })
      a.close()
      b.close()
      expect(await pendingA).toEqual({ value: undefined, done: true })
      expect((await pendingB).done).toBe(true)
    })

    it('11: a failed subscribe rejects the first next() and finishes the iterator', async () => {
      server = await MockServer.start(() => ({ error: { code: -32000, message: 'subscribe failed' } }))
      const client = await dial(server.path)
      const it = client.events()
      await expect(it.next()).rejects.toThrow('subscribe failed')
      expect(await it.next()).toEqual({ value: undefined, done: true })
      client.close()
    })

    it('12: one subscription per connection', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      await client.subscribe({ runtime_id: 'rt-1' })
      await expect(client.subscribe({ runtime_id: 'rt-2' })).rejects.toThrow('client already subscribed with different options')
      await client.subscribe({ runtime_id: 'rt-1' })
      client.close()

      const other = await dial(server.path)
      await other.subscribe()
      const it = other.events()
      const pending = it.next()
      server.event({ event: 'ping' })
      expect((await pending).value).toEqual({ event: 'ping' })
      expect(server.methods('subscribe')).toHaveLength(2)
      other.close()
    })

    it('13: history clamps limit and after_seq', async () => {
      server = await MockServer.start(() => ({ result: { events: [] } }))
      const client = await dial(server.path)
      await client.history({ runtime_id: 'rt-hist', limit: -10, after_seq: -5 })
      await client.history({ runtime_id: 'rt-hist', limit: 999 })
      expect(server.requests[0].params).toEqual({ runtime_id: 'rt-hist', limit: 1, after_seq: 0 })
      expect(server.requests[1].params).toEqual({ runtime_id: 'rt-hist', limit: 256 })
      client.close()
    })

    it('14: 257 events before any consumer → client.lagged before the next event', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      await client.subscribe()
      for (let i = 0; i < 257; i++) server.event({ event: 'e', i })
      server.event({ event: 'marker' })
      // 'marker' is the 258th: also dropped. Wait until the client has read it by
      // asking for a reply sent after all events.
      await client.call('sync')
      const it = client.events()
      for (let i = 0; i < 256; i++) {
        const { value } = await it.next()
        expect(value).toEqual({ event: 'e', i })
      }
      server.event({ event: 'trigger' })
      expect((await it.next()).value).toEqual({ event: 'client.lagged', dropped_count: 2 })
      expect((await it.next()).value).toEqual({ event: 'trigger' })
      client.close()
    })

    it('a slow reader loses streaming chunks first, never session.end, permission.request or the notice', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      await client.subscribe()
      server.event({ event: 'permission.request', request_id: 'p1' })
      for (let seq = 0; seq < 400; seq++) server.event({ event: 'agent.message_chunk', seq })
      server.event({ event: 'tool.call', toolCallId: 't1' })
      server.event({ event: 'session.end', stop_reason: 'end_turn' })
      await client.call('sync')
      const it = client.events()
      const events = []
      for (let i = 0; i < 257; i++) events.push((await it.next()).value)
      const names = events.map((e) => e.event)
      expect(names[0]).toBe('permission.request')
      expect(names.slice(-3)).toEqual(['client.lagged', 'tool.call', 'session.end'])
      // 400 chunks + 3 others arrived; 256 places; every loss is counted once.
      expect(events[254]).toEqual({ event: 'client.lagged', dropped_count: 400 + 3 - 256 })
      server.event({ event: 'after' })
      expect((await it.next()).value).toEqual({ event: 'after' })
      client.close()
    })

    it('event lines read as JSON.parse reads them: malformed ones skipped, odd ones and __proto__ members kept', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const events = client.events()
      const first = events.next()
      await server.waitFor(() => server!.requests.length === 1)
      const head = '{"jsonrpc":"2.0","method":"event","params":'
      // Malformed while the reader waits: it goes on waiting.
      server.sendBytes(Buffer.from(`${head}{"event":"e","n":}}\n`))
      await new Promise((r) => setTimeout(r, 30))
      server.sendBytes(
        Buffer.from(
          [
            `${head}{"event":"e","n":1}}`,
            `${head}{"event":"e","n":}}`,
            `${head}{"event":"e","n":2},"extra":{"x":1}}`,
            `${head}{"event":"e","n":3,"__proto__":{"polluted":true}}}`,
            `${head}{"event":"e","n":4}}`,
          ].join('\n') + '\n',
        ),
      )
      const seen = [(await first).value]
      for (let i = 0; i < 3; i++) seen.push((await events.next()).value)
      expect(seen.map((e) => e.n)).toEqual([1, 2, 3, 4])
      expect(seen[1]).toEqual({ event: 'e', n: 2 })
      const withProto = seen[2]
      expect(Object.getPrototypeOf(withProto)).toBe(Object.prototype)
      expect(Object.hasOwn(withProto, '__proto__')).toBe(true)
      expect(withProto.polluted).toBeUndefined()
      client.close()
    })

    it('events a sole reader took in one batch but did not use go back to the queue when it returns', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const first = client.events()
      const started = first.next()
      await server.waitFor(() => server!.requests.length === 1)
      for (let i = 1; i <= 6; i++) server.event({ event: 'e', n: i })
      expect((await started).value).toEqual({ event: 'e', n: 1 })
      // Let every event arrive and be queued, then read one more and stop.
      await new Promise((r) => setTimeout(r, 50))
      expect((await first.next()).value).toEqual({ event: 'e', n: 2 })
      expect(await first.return()).toEqual({ value: undefined, done: true })
      expect((await first.next()).done).toBe(true)
      const second = client.events()
      const rest = []
      for (let i = 0; i < 4; i++) rest.push((await second.next()).value.n)
      expect(rest).toEqual([3, 4, 5, 6])
      // Two readers compete event by event: each event reaches one of them once.
      const third = client.events()
      const a = second.next()
      const b = third.next()
      server.event({ event: 'e', n: 7 })
      server.event({ event: 'e', n: 8 })
      expect([(await a).value.n, (await b).value.n].sort()).toEqual([7, 8])
      client.close()
    })

    it('a reader that returns in the turn its wait got a batch leaves the rest to the next reader, nothing lost or repeated', async () => {
      const line = (msg: unknown) => JSON.stringify(msg) + '\n'
      const event = (n: number) => line({ jsonrpc: '2.0', method: 'event', params: { event: 'e', n } })
      server = await MockServer.start((req, s) => {
        if (req.method !== 'status') return { result: { subscribed: true } }
        // The reply and three events in one write: one read, one turn.
        s.sendRaw(line({ jsonrpc: '2.0', id: req.id, result: {} }) + event(1) + event(2) + event(3))
        return null
      })
      const client = await dial(server.path)
      const first = await readerPastOneEvent(client)
      // Waits with nothing queued; the read that answers status() brings the
      // events too, and the reply's reaction stops the reader.
      const waiting = first.next()
      await new Promise((r) => setTimeout(r, 20))
      const stopped = client.status().then(() => first.return())
      const got = await waiting
      expect(await stopped).toEqual({ value: undefined, done: true })
      expect((await first.next()).done).toBe(true)
      const seen = got.done ? [] : [got.value.n]
      const second = client.events()
      while (seen.length < 3) seen.push((await second.next()).value.n)
      expect(seen).toEqual([1, 2, 3])
      client.close()
    })

    it('next() calls made together by a sole reader get the events of one read in order, each once', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const events = await readerPastOneEvent(client)
      const waits = [events.next(), events.next(), events.next()]
      await new Promise((r) => setTimeout(r, 20))
      server.sendRaw([1, 2, 3, 4].map((n) => JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { event: 'e', n } }) + '\n').join(''))
      expect((await Promise.all(waits)).map((r) => r.value.n)).toEqual([1, 2, 3])
      expect((await events.next()).value.n).toBe(4)
      client.close()
    })

    it('return() ends a pending next(); throw() rethrows; iterators compete for one queue', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const one = client.events()
      const two = client.events()
      const waiting = one.next()
      await server.waitFor(() => server!.requests.length === 1)
      expect(await one.return()).toEqual({ value: undefined, done: true })
      expect(await waiting).toEqual({ value: undefined, done: true })
      const next2 = two.next()
      server.event({ event: 'only-once' })
      expect((await next2).value).toEqual({ event: 'only-once' })
      const boom = new Error('boom')
      await expect(two.throw(boom)).rejects.toBe(boom)
      expect((await two.next()).done).toBe(true)
      client.close()
    })

    it('a reader waiting after it took what was queued: events reach it, a reader waiting longer comes first, return() ends it', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      const one = client.events()
      const first = one.next()
      await server.waitFor(() => server!.requests.length === 1)
      server.event({ event: 'e', n: 1 })
      expect((await first).value.n).toBe(1)
      // Waits with nothing queued; what arrives then is its.
      const second = one.next()
      await new Promise((r) => setTimeout(r, 20))
      server.event({ event: 'e', n: 2 })
      server.event({ event: 'e', n: 3 })
      expect((await second).value.n).toBe(2)
      expect((await one.next()).value.n).toBe(3)
      // Waiting again, a second reader starts waiting too: each event goes to
      // the reader that has waited longest.
      const fromOne = one.next()
      await new Promise((r) => setTimeout(r, 20))
      const two = client.events()
      const fromTwo = two.next()
      await new Promise((r) => setTimeout(r, 20))
      server.event({ event: 'e', n: 4 })
      expect((await fromOne).value.n).toBe(4)
      const againFromOne = one.next()
      server.event({ event: 'e', n: 5 })
      expect((await fromTwo).value.n).toBe(5)
      server.event({ event: 'e', n: 6 })
      expect((await againFromOne).value.n).toBe(6)
      // return() ends a next() that waits.
      const waiting = one.next()
      await new Promise((r) => setTimeout(r, 20))
      expect(await one.return()).toEqual({ value: undefined, done: true })
      expect(await waiting).toEqual({ value: undefined, done: true })
      client.close()
    })

    it('after close(), a new events() iterator rejects with control socket is closed, also once subscribed', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      await client.subscribe()
      client.close()
      const events = client.events()
      await expect(events.next()).rejects.toThrow('control socket is closed')
      expect(await events.next()).toEqual({ value: undefined, done: true })
      const fresh = await dial(server.path)
      fresh.close()
      await expect(fresh.events({ runtime_id: 'rt-1' }).next()).rejects.toThrow('control socket is closed')
      expect(server.requests.map((r) => r.method)).toEqual(['subscribe'])
    })

    it('for await ends when the connection closes, after queued events', async () => {
      server = await MockServer.start(() => ({ result: { subscribed: true } }))
      const client = await dial(server.path)
      await client.subscribe()
      server.event({ event: 'a' })
      server.event({ event: 'b' })
      await client.call('sync')
      server.dropClients()
      const seen: string[] = []
      for await (const ev of client.events()) seen.push(ev.event as string)
      expect(seen).toEqual(['a', 'b'])
    })
  })

  describe('15: typed methods send exactly these params', () => {
    it('interruptAndPrompt, cancel, answerPermission, result', async () => {
      server = await MockServer.start(() => ({ result: {} }))
      const client = await dial(server.path)
      await client.interruptAndPrompt('rt-1', 'change direction')
      await client.cancel()
      await client.cancel('rt-1')
      await client.answerPermission('rt-1', 'req-42', 'opt-7')
      await client.result('rt-123')
      const [iap, cancelAll, cancelOne, answer, result] = server.requests
      expect(iap).toMatchObject({ method: 'interrupt_and_prompt', params: { runtime_id: 'rt-1', text: 'change direction', keep_queue: false } })
      expect(cancelAll.method).toBe('cancel')
      expect('params' in cancelAll).toBe(false)
      expect(cancelOne.params).toEqual({ runtime_id: 'rt-1' })
      expect(answer.method).toBe('answer_permission')
      expect(answer.params).toEqual({ runtime_id: 'rt-1', request_id: 'req-42', option_id: 'opt-7' })
      expect(result).toMatchObject({ method: 'result', params: { runtime_id: 'rt-123' } })
      expect(server.requests.map((r) => r.id)).toEqual([1, 2, 3, 4, 5])
      client.close()
    })

    it('void methods resolve undefined; brokerPeers unwraps sessions', async () => {
      server = await MockServer.start((req) => ({ result: req.method === 'broker_peers' ? { sessions: [{ run_id: 'r' }] } : { ok: true } }))
      const client = await dial(server.path)
      expect(await client.prompt('rt-1', 'hi')).toBeUndefined()
      expect(await client.shutdown('graceful')).toBeUndefined()
      expect(await client.brokerPeers()).toEqual([{ run_id: 'r' }])
      expect(server.requests[1].params).toEqual({ mode: 'graceful' })
      client.close()
    })
  })
})

describe('read by the host event loop', () => {
  it('a reader that keeps reading gets every event of a read larger than the queue, in order', async () => {
    server = await MockServer.start(() => ({ result: { subscribed: true } }))
    const client = await dial(server.path)
    const events = client.events()
    const first = events.next()
    await server.waitFor(() => server!.requests.length === 1)
    // 3 000 events (~240 KiB) written at once: each socket read carries far
    // more than the 256 the queue holds.
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', method: 'event', params: { event: 'agent.message_chunk', n: i + 1, text: 'x'.repeat(40) } }) + '\n')
    server.sendBytes(Buffer.from(lines.join('')))
    const seen: number[] = [(await first).value.n]
    while (seen.length < 3000) {
      const { value } = await events.next()
      expect(value.event).toBe('agent.message_chunk')
      seen.push(value.n)
    }
    expect(seen).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1))
    client.close()
  })
})
