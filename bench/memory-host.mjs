// A host process for the resident-memory row of bench/run.mjs: it starts a daemon
// (AVENOR_BIN, under its own AVENOR_HOME), spawns RUNS runs, keeps what the spawns
// returned, prints `{"rss": <bytes>}` on stdout and exits.
//   addon: spawnTool starts the daemon and spawns (the addon stops the daemon at exit);
//   plain: starts the daemon as the addon does, spawns over bench/plain-client.mjs.
// Usage: <runtime> bench/memory-host.mjs addon|plain RUNS
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const [mode, count] = process.argv.slice(2)
const RUNS = Number(count)
const home = process.env.AVENOR_HOME
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Retries a spawn refused by admission (-32050, more than 16 turns in flight). */
async function admitted(spawnOnce) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnOnce()
    } catch (e) {
      if (!/max runtimes/.test(e.message) || attempt >= 100) throw e
      await sleep(20)
    }
  }
}

const kept = []
let stopDaemon = async () => {}
if (mode === 'addon') {
  const { spawnTool } = await import('@dougbots/avenor-core')
  for (let i = 0; i < RUNS; i++) kept.push(await admitted(() => spawnTool({ prompt: 'say hi' })))
} else if (mode === 'plain') {
  const { plainDial } = await import('./plain-client.mjs')
  const sockets = join(home, 'sockets')
  mkdirSync(sockets, { recursive: true, mode: 0o700 })
  const socket = join(sockets, `avenor-mcp-${process.pid}.sock`)
  const daemon = spawn(process.env.AVENOR_BIN, ['stable', '--control-socket', socket, '--idle-timeout', '30m'], { stdio: 'ignore' })
  // As the addon does: the daemon never outlives this host, and is reaped
  // when the host ends normally.
  process.on('exit', () => daemon.kill('SIGKILL'))
  stopDaemon = async () => {
    const exited = new Promise((r) => daemon.once('exit', r))
    daemon.kill('SIGINT')
    await Promise.race([exited, sleep(3000)])
  }
  while (!existsSync(socket)) await sleep(5)
  const client = await plainDial(socket)
  // What a plain-JS host must do per run: its run directory, the spawn, and the
  // reply kept with the paths it chose (the addon's RunInfo).
  for (let i = 0; i < RUNS; i++) {
    const runId = randomUUID()
    const runDir = join(home, 'runs', runId)
    mkdirSync(runDir, { recursive: true, mode: 0o700 })
    const paths = { sentinel_file: join(runDir, 'sentinel.done'), on_event: join(runDir, 'events.log') }
    const reply = await admitted(() => client.call('spawn', { prompt: 'say hi', label: runId, ...paths }))
    kept.push({ runId, ...paths, reply })
  }
} else {
  throw new Error(`usage: memory-host.mjs addon|plain RUNS (got ${mode})`)
}
if (kept.length !== RUNS) throw new Error(`held ${kept.length} runs, not ${RUNS}`)
const line = JSON.stringify({ rss: process.memoryUsage().rss }) + '\n'
await stopDaemon()
// Exit once the line is written (a pipe), whatever still holds the event loop.
process.stdout.write(line, () => process.exit(0))
