// An in-test NDJSON JSON-RPC server on a Unix socket (node:net), recording every
// request line so tests can assert exactly what the client sent.
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export type Request = { jsonrpc: string; id: number; method: string; params?: unknown }
export type Reply = Record<string, unknown> | null
export type Handler = (req: Request, server: MockServer) => Reply | Promise<Reply>

export class MockServer {
  readonly path: string
  readonly requests: Request[] = []
  readonly rawLines: string[] = []
  private readonly dir: string
  private readonly server: net.Server
  private readonly sockets = new Set<net.Socket>()

  private constructor(dir: string, handler: Handler, socketPath?: string) {
    this.dir = dir
    this.path = socketPath ?? join(dir, 'mock.sock')
    this.server = net.createServer((socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      socket.on('error', () => {})
      let buffered = ''
      socket.on('data', (chunk) => {
        buffered += chunk.toString('utf8')
        let nl: number
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          this.rawLines.push(line)
          const req = JSON.parse(line) as Request
          this.requests.push(req)
          // Each request is answered on its own, so replies can overtake each other.
          void Promise.resolve(handler(req, this)).then((reply) => {
            if (reply) socket.write(JSON.stringify({ jsonrpc: '2.0', id: req.id, ...reply }) + '\n')
          })
        }
      })
    })
  }

  /** Listens on a temp socket, or on `socketPath` (e.g. inside socketsRoot()). */
  static async start(handler: Handler = (req) => ({ result: { echo: req.method } }), socketPath?: string): Promise<MockServer> {
    const dir = mkdtempSync(join(tmpdir(), 'avenor-mock-'))
    const server = new MockServer(dir, handler, socketPath)
    await new Promise<void>((resolve) => server.server.listen(server.path, resolve))
    return server
  }

  /** Writes one JSON line to every connected client. */
  send(message: unknown): void {
    const line = JSON.stringify(message) + '\n'
    for (const s of this.sockets) s.write(line)
  }

  /** Writes raw bytes (also invalid UTF-8) to every connected client. */
  sendBytes(bytes: Buffer): void {
    for (const s of this.sockets) s.write(bytes)
  }

  /** Writes a raw string to every connected client. */
  sendRaw(text: string): void {
    for (const s of this.sockets) s.write(text)
  }

  event(params: Record<string, unknown>): void {
    this.send({ jsonrpc: '2.0', method: 'event', params })
  }

  methods(name: string): Request[] {
    return this.requests.filter((r) => r.method === name)
  }

  /** Ends every client connection after what was written (FIN, not a reset). */
  endClients(): void {
    for (const s of this.sockets) s.end()
  }

  dropClients(): void {
    for (const s of this.sockets) s.destroy()
  }

  async waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const start = Date.now()
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out')
      await new Promise((r) => setTimeout(r, 5))
    }
  }

  async close(): Promise<void> {
    this.dropClients()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
    rmSync(this.dir, { recursive: true, force: true })
    rmSync(this.path, { force: true })
  }
}
