// No daemon outlives its host: process.exit(), a drained loop, SIGINT, SIGTERM and
// SIGKILL of the host all leave no daemon process behind (found by its socket
// path in /proc), and the socket file is removed.
import test from 'ava'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pidsMentioning } from './helpers/pids.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)

async function until(predicate, ms) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (predicate()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return predicate()
}

/** Starts the host, waits for its socket line, applies `end`, waits for its exit. */
async function runHost(t, mode, end) {
  const home = mkdtempSync(join(tmpdir(), 'avenor-host-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const child = spawn(process.execPath, [join(here, 'fixtures', 'host-with-daemon.mjs'), mode], {
    env: { ...process.env, AVENOR_HOME: home, AVENOR_BIN: sim },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  let stdout = ''
  child.stderr.on('data', (d) => (stderr += d))
  child.stdout.on('data', (d) => (stdout += d))
  // 'close' comes after 'exit' once stdout and stderr are drained: the host's last line is in.
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  const socket = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.startsWith('{'))
      if (line) resolve(JSON.parse(line).socket)
    })
    exited.then(() => reject(new Error(`host ended before starting: ${stderr}`)))
  })
  const daemons = pidsMentioning(socket)
  t.is(daemons.length, 1, 'exactly one daemon runs for the host')
  if (end) end(child)
  else child.stdin.write('go\n')
  const deadline = setTimeout(() => child.kill('SIGKILL'), 5000)
  const how = await exited
  clearTimeout(deadline)
  t.true(await until(() => pidsMentioning(socket).length === 0, 3000), `daemon ${daemons} still running`)
  return { socket, how, stderr, stdout }
}

test('process.exit() stops the daemon and removes its socket', async (t) => {
  const { socket, how } = await runHost(t, 'exit')
  t.is(how.code, 0)
  t.false(existsSync(socket))
})

test('an idle supervisor keeps no handle alive; the host exits and stops the daemon', async (t) => {
  const { socket, how } = await runHost(t, 'idle')
  t.is(how.code, 0)
  t.false(existsSync(socket))
})

// statusTool({ runId }) of a run the singleton tracks goes over a connection of
// the JS thread's own (read by the host's loop), opened once and kept: one more
// socket after three calls. Kept, it still lets the process end by itself.
test('statusTool on the host loop keeps one connection of its own and no handle alive', async (t) => {
  const { socket, how, stdout } = await runHost(t, 'idle-status')
  t.is(how.code, 0)
  t.false(existsSync(socket))
  const report = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{')))
  t.deepEqual(report.statuses, [true, true, true])
  t.is(report.socketsAfter, report.socketsBefore + 1)
})

for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  test(`${signal} of the host stops the daemon, removes the socket and exits ${code}`, async (t) => {
    const { socket, how } = await runHost(t, 'wait', (child) => child.kill(signal))
    t.is(how.code, code)
    t.false(existsSync(socket))
  })
}

test('SIGKILL of the host still ends the daemon (parent-death signal)', async (t) => {
  const { socket, how } = await runHost(t, 'wait', (child) => child.kill('SIGKILL'))
  t.is(how.signal, 'SIGKILL')
  // The daemon got SIGINT and shut down gracefully, removing its socket itself.
  t.true(await until(() => !existsSync(socket), 3000))
})

for (const [mode, code] of [
  ['handler-before', 7],
  ['handler-after', 8],
]) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    test(`${signal} with a host listener registered ${mode.slice(8)} the library's stops the daemon and leaves the exit to the host`, async (t) => {
      const { socket, how, stdout } = await runHost(t, mode, (child) => child.kill(signal))
      t.is(how.code, code, 'the host exited with its own code')
      t.true(stdout.includes(JSON.stringify({ hostHandler: mode, signal })), stdout)
      t.false(existsSync(socket))
    })
  }
}
