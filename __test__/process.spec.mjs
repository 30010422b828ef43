// Loading the package by name (require, import, Bun) and process hygiene: a
// process that used the client exits by itself (spec/napi.md §4.1).
import test from 'ava'
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const { startTinyDaemon } = require('./fixtures/tiny-daemon.cjs')
const here = dirname(fileURLToPath(import.meta.url))
const fixture = (name) => join(here, 'fixtures', name)
const bun = join(here, '..', 'node_modules', '.bin', 'bun')

/** Resolves once `socket` accepts a connection: its file appears at bind(), before listen(). */
async function listening(socket, ms = 5000) {
  const { existsSync } = await import('node:fs')
  const { createConnection } = await import('node:net')
  for (const deadline = Date.now() + ms; Date.now() < deadline; ) {
    const accepted =
      existsSync(socket) &&
      (await new Promise((resolve) => {
        const probe = createConnection(socket)
        probe.once('connect', () => resolve(probe.destroy() && true))
        probe.once('error', () => resolve(false))
      }))
    if (accepted) return
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Runs a child with a hard deadline; resolves with its exit code, output and duration. */
function run(cmd, args, deadlineMs) {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: deadlineMs, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.killed ? 'killed' : error.code) : 0, stdout, stderr, ms: Date.now() - started })
    })
  })
}

test('require() by package name makes a real call', async (t) => {
  const r = await run(process.execPath, [fixture('load-require.cjs')], 10_000)
  t.is(r.code, 0, r.stderr)
  t.deepEqual(JSON.parse(r.stdout).status.phase, 'idle')
})

test('import by package name makes a real call', async (t) => {
  const r = await run(process.execPath, [fixture('load-import.mjs')], 10_000)
  t.is(r.code, 0, r.stderr)
  t.like(JSON.parse(r.stdout), { loader: 'import', status: { phase: 'idle' } })
})

test('Bun loads the package by name and makes a real call', async (t) => {
  const r = await run(bun, [fixture('load-import.mjs')], 10_000)
  t.is(r.code, 0, r.stderr)
  t.like(JSON.parse(r.stdout), { loader: 'bun', status: { phase: 'idle' } })
})

for (const mode of ['close', 'leave-open']) {
  for (const [runtime, cmd] of [
    ['Node', process.execPath],
    ['Bun', bun],
  ]) {
    test(`${runtime}: a process that dials, calls and ${mode === 'close' ? 'closes' : 'leaves an idle client open'} exits by itself (deadline 5 s)`, async (t) => {
      const daemon = await startTinyDaemon()
      try {
        const r = await run(cmd, [fixture('exit-after-call.mjs'), daemon.socketPath, mode], 5_000)
        t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
        t.like(JSON.parse(r.stdout), { mode, status: { phase: 'idle' } })
      } finally {
        await daemon.close()
      }
    })
  }

  test(`the same from a worker thread (${mode}) exits by itself (deadline 5 s)`, async (t) => {
    const daemon = await startTinyDaemon()
    try {
      const r = await run(process.execPath, [fixture('exit-in-worker.mjs'), daemon.socketPath, mode], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      t.like(JSON.parse(r.stdout), { mode, worker: true, status: { phase: 'idle' } })
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a worker terminated while its connection waits for a reply and an event ends that connection and leaves the process healthy (deadline 5 s)`, async (t) => {
    const daemon = await startTinyDaemon({ delayMs: 200 })
    try {
      const r = await run(cmd, [fixture('terminate-reading-worker.mjs'), daemon.socketPath], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      t.like(JSON.parse(r.stdout), { workerExit: 1, status: { phase: 'idle' }, ended: 1 })
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd, bunSockets] of [
  ['Node', process.execPath, 0],
  ['Bun', bun, 1],
]) {
  test(`${runtime}: a dialled client is read ${bunSockets === 0 ? 'through a poll handle' : "through one socket of Bun's own"}, with no net socket object`, async (t) => {
    const daemon = await startTinyDaemon({ eventAfterMs: 20 })
    try {
      const r = await run(cmd, [fixture('socket-objects.mjs'), daemon.socketPath], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      t.like(JSON.parse(r.stdout), { made: 0, bunSockets, status: { phase: 'idle' }, event: { event: 'agent.status' }, second: { phase: 'idle' } })
    } finally {
      await daemon.close()
    }
  })
}

// A Bun socket's readyState: 1 while open, -1 once closed.
for (const mode of ['missing', 'throws', 'late', 'opens-then-throws']) {
  const opens = mode === 'late' || mode === 'opens-then-throws'
  test(`Bun: with Bun.connect ${{ missing: 'missing', throws: 'throwing', late: 'opening the socket late', 'opens-then-throws': 'opening the socket and throwing' }[mode]}, a dialled client is read through one net socket object${opens ? ", and Bun's socket is closed" : ''}`, async (t) => {
    const daemon = await startTinyDaemon({ eventAfterMs: 20 })
    try {
      const r = await run(bun, [fixture('socket-objects.mjs'), daemon.socketPath, mode], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      t.like(JSON.parse(r.stdout), { made: 1, status: { phase: 'idle' }, event: { event: 'agent.status' }, second: { phase: 'idle' }, lateSocket: opens ? -1 : null })
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a flood of events followed at once by the daemon's end reaches the reader whole or announced as lagged, then the reader finishes (deadline 5 s)`, async (t) => {
    const flood = 3000
    const daemon = await startTinyDaemon({ flood, endAfterFlood: true })
    try {
      const r = await run(cmd, [fixture('connection-faults.mjs'), daemon.socketPath, String(flood), 'end'], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      t.is(out.received + out.lagged, flood)
      t.like(out, { last: flood - 1, ordered: true, closed: true })
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a connection gives its descriptors back when it ends (closed, closed with a call waiting, hung up on, abandoned in a terminated worker), not when collected (deadline 20 s)`, async (t) => {
    const daemon = await startTinyDaemon({ hangUpOn: 'hangup', ignore: ['hang'] })
    try {
      const r = await run(cmd, [fixture('descriptors.mjs'), daemon.socketPath], 20_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const growth = JSON.parse(r.stdout)
      // A few descriptors of the runtime's own may open meanwhile; one per
      // connection would be 300, 100, 100 and 10.
      for (const [way, n] of Object.entries(growth)) t.true(n <= 3, `${way}: ${n} more descriptors open`)
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a flood of events in one write reaches the reader in order or is announced as lagged, and a daemon hanging up mid-call rejects the call and finishes the reader (deadline 5 s)`, async (t) => {
    const flood = 3000
    const daemon = await startTinyDaemon({ flood, hangUpOn: 'status' })
    try {
      const r = await run(cmd, [fixture('connection-faults.mjs'), daemon.socketPath, String(flood), 'hang-up'], 5_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      t.is(out.received + out.lagged, flood)
      t.true(out.received >= 256, `received ${out.received}`)
      t.like(out, { last: flood - 1, ordered: true, rejected: 'read response: connection closed', next: { done: true }, closed: true })
    } finally {
      await daemon.close()
    }
  })
}

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a sole reader's batches reach next() calls made together in order, skip a malformed line, and give the unused rest back on return()`, async (t) => {
    const r = await run(cmd, [fixture('event-batches.mjs')], 5_000)
    t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
    t.deepEqual(JSON.parse(r.stdout), { warm: 0, together: [1, 2, 3], after: 4, read: [5, 6], returned: { done: true }, rest: [7, 8, 9] })
  })
}

test("every promise-returning Client method sends and settles the same in Bun (the connection's invoker) as in Node (the class methods)", async (t) => {
  const [node, bunRun] = await Promise.all([
    run(process.execPath, [fixture('client-methods.mjs')], 10_000),
    run(bun, [fixture('client-methods.mjs')], 10_000),
  ])
  t.is(node.code, 0, node.stderr)
  t.is(bunRun.code, 0, bunRun.stderr)
  const inNode = JSON.parse(node.stdout)
  const inBun = JSON.parse(bunRun.stdout)
  // The table covers every method, and Node's answers are what the daemon got.
  t.deepEqual(inNode.uncovered, [])
  t.is(inNode.calls.length, 64)
  t.like(inNode.calls.find((c) => c.name === 'brokerSend' && c.kind === 'good'), {
    sent: [{ method: 'broker_send', params: { from_run_id: 'run_a', to_run_id: 'run_b', message: 'hello', role: 'peer' } }],
    outcome: { value: 'undefined' },
  })
  t.like(inNode.calls.find((c) => c.name === 'status' && c.kind === 'bad'), {
    sent: [],
    outcome: { error: 'Error: client.status: runtimeId must be a string' },
  })
  t.deepEqual(inBun.calls, inNode.calls)
  // The invoker is internal: neither runtime shows it.
  t.deepEqual(inBun.prototype, inNode.prototype)
  t.false(inNode.prototype.some((name) => name.startsWith('__')))
  // A receiver that is no Client fails in both (each engine words it its own way).
  t.truthy(inNode.notAClient.error)
  t.truthy(inBun.notAClient.error)
})

test('a process that observes a run and closes the observer exits by itself (deadline 5 s)', async (t) => {
  const { spawn } = await import('node:child_process')
  const { existsSync, mkdtempSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const root = join(here, '..')
  const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)
  const dir = mkdtempSync(join(tmpdir(), 'avenor-observe-exit-'))
  const socket = join(dir, 'ctl.sock')
  const daemon = spawn(sim, ['stable', '--control-socket', socket], { stdio: 'ignore', env: { ...process.env, TMPDIR: dir } })
  t.teardown(() => {
    daemon.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })
  await listening(socket)
  const r = await run(process.execPath, [fixture('observe-then-close.mjs'), socket], 5_000)
  t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
  t.deepEqual(JSON.parse(r.stdout), { ended: true, final_output: 'chunk 1chunk 2chunk 3end', calls: 6 })
})

for (const [runtime, cmd] of [
  ['Node', process.execPath],
  ['Bun', bun],
]) {
  test(`${runtime}: a pending call keeps the process alive until its reply`, async (t) => {
    const daemon = await startTinyDaemon({ delayMs: 800 })
    try {
      const r = await run(cmd, [fixture('pending-call.mjs'), daemon.socketPath], 10_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      t.like(out, { settled: 'resolved', status: { phase: 'idle' } })
      t.true(out.ms >= 750, `resolved after ${out.ms} ms`)
    } finally {
      await daemon.close()
    }
  })

  test(`${runtime}: a waiting events() next() keeps the process alive until its event`, async (t) => {
    const daemon = await startTinyDaemon({ eventAfterMs: 800 })
    try {
      const r = await run(cmd, [fixture('pending-next.mjs'), daemon.socketPath], 10_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      t.like(out, { done: false, event: { event: 'agent.status', phase: 'working' } })
      t.true(out.ms >= 750, `resolved after ${out.ms} ms`)
    } finally {
      await daemon.close()
    }
  })

  test(`${runtime}: a next() waiting after the reader took what was queued keeps the process alive until its event`, async (t) => {
    const daemon = await startTinyDaemon({ eventAfterMs: [0, 800] })
    try {
      const r = await run(cmd, [fixture('pending-next-after-event.mjs'), daemon.socketPath], 10_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      const out = JSON.parse(r.stdout)
      t.like(out, { first: { n: 0 }, done: false, event: { event: 'agent.status', n: 1 } })
      t.true(out.ms >= 750, `resolved after ${out.ms} ms`)
    } finally {
      await daemon.close()
    }
  })

  test(`${runtime}: a client dropped without close() is closed once collected, and the process exits`, async (t) => {
    const daemon = await startTinyDaemon()
    try {
      const args = runtime === 'Node' ? ['--expose-gc', fixture('abandoned-client.mjs')] : [fixture('abandoned-client.mjs')]
      const ended = daemon.connectionsEnded(1)
      const r = await run(cmd, [...args, daemon.socketPath], 10_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      t.like(JSON.parse(r.stdout), { status: { phase: 'idle' }, endedBeforeExit: 1 })
      t.true((await ended) >= 1)
    } finally {
      await daemon.close()
    }
  })

  test(`${runtime}: a client call's rejection points at its caller, and names an awaiting one`, async (t) => {
    const daemon = await startTinyDaemon({ delayMs: 2000 })
    try {
      const r = await run(cmd, [fixture('rejection-stack.mjs'), daemon.socketPath], 10_000)
      t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
      // Both make the frames when the call rejects, from the engine's async
      // stack: the awaiting callers. V8's follows the `.catch()` that the
      // module awaits to the module's line; JavaScriptCore's only `await`s, so
      // in Bun a call nobody awaits keeps the message alone. An iterator's own
      // subscribe is no `Client` method: Bun captures its frames when it starts.
      t.deepEqual(JSON.parse(r.stdout), {
        message: 'read response: timeout',
        header: 'Error: read response: timeout',
        returnedNamesCaller: false,
        returnedPointsHere: runtime === 'Node',
        awaitedNamesCaller: true,
        awaitedPointsHere: true,
        nextMessage: 'read response: timeout',
        nextPointsHere: true,
        badArgumentMessage: 'client.status: runtimeId must be a string',
        badArgumentPointsHere: true,
        methodNames: ['status', 'call', 'brokerSend'],
      })
    } finally {
      await daemon.close()
    }
  })

  test(`${runtime}: process.env written in a worker thread reaches the package there`, async (t) => {
    const r = await run(cmd, [fixture('env-in-worker.mjs')], 10_000)
    t.is(r.code, 0, `exit ${r.code} after ${r.ms} ms: ${r.stderr}`)
    t.deepEqual(JSON.parse(r.stdout), [true, true, true])
  })

  test(`${runtime}: process.env written by JS reaches the package and the daemon`, async (t) => {
    const { existsSync } = await import('node:fs')
    const root = join(here, '..')
    const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)
    const env = { ...process.env }
    delete env.AVENOR_HOME
    delete env.AVENOR_BIN
    const r = await new Promise((resolve) =>
      execFile(cmd, [fixture('env-from-js.mjs'), sim], { env, timeout: 10_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) =>
        resolve({ code: error ? error.code ?? 'killed' : 0, stdout, stderr }),
      ),
    )
    t.is(r.code, 0, r.stderr)
    t.deepEqual(JSON.parse(r.stdout), { failed: 'avenor exited with code 7 during startup', inHome: true })
  })
}
