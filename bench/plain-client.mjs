// The baseline: a minimal plain-JS NDJSON JSON-RPC client over node:net, written
// for the benchmark (ids, reply routing, event callback; nothing else).
import net from 'node:net'

export function plainDial(socketPath) {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath)
    const pending = new Map()
    let nextId = 1
    let buffered = ''
    let onEvent = () => {}
    socket.setEncoding('utf8')
    socket.on('data', (chunk) => {
      buffered += chunk
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const msg = JSON.parse(line)
        if (msg.id != null) {
          const p = pending.get(msg.id)
          pending.delete(msg.id)
          if (p) msg.error ? p.reject(new Error(msg.error.message)) : p.resolve(msg.result)
        } else if (msg.method === 'event') onEvent(msg.params)
      }
    })
    socket.once('error', reject)
    socket.once('connect', () =>
      resolve({
        call(method, params) {
          const id = nextId++
          const line = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params })
          return new Promise((res, rej) => {
            pending.set(id, { resolve: res, reject: rej })
            socket.write(line + '\n')
          })
        },
        onEvent(fn) {
          onEvent = fn
        },
        close() {
          socket.destroy()
        },
      }),
    )
  })
}
