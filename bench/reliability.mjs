// `npm run bench:reliability`: the figures of the README's "Reliability" table,
// measured against avenor-sim: how long a pending resultTool takes to reject after
// its daemon is SIGKILLed, how many daemons outlive N SIGKILLed hosts, eventsTool
// on a FIFO and on a 2 GiB sparse log (time and resident-memory growth), and how
// fast an oversized request is refused. Prints one line per figure.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pidsMentioning } from '../__test__/helpers/pids.mjs'
import { eventsTool, resultTool, shutdownTool, spawnTool, statusTool } from '@dougbots/avenor-core'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)
const HOST_KILLS = Number(process.env.BENCH_HOST_KILLS ?? 20)
const CRASHES = Number(process.env.BENCH_CRASHES ?? 5)
const home = mkdtempSync(join(tmpdir(), 'avenor-reliability-'))
process.env.AVENOR_HOME = home
process.env.AVENOR_BIN = sim
process.on('exit', () => rmSync(home, { recursive: true, force: true }))

const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6
const rssMiB = () => process.memoryUsage().rss / 2 ** 20
const sleep = (t) => new Promise((r) => setTimeout(r, t))
function report(fault, behaviour, figure) {
  console.log(`${fault.padEnd(46)} | ${behaviour.padEnd(44)} | ${figure}`)
}

async function untilStatus(runId, pred) {
  for (;;) {
    const s = await statusTool({ runId })
    if (pred(s)) return s
    await sleep(10)
  }
}

// 1. Daemon SIGKILLed under a pending resultTool.
{
  const times = []
  for (let i = 0; i < CRASHES; i++) {
    const run = await spawnTool({ prompt: 'hang', label: `crash-${i}` })
    const { pid } = await untilStatus(run.run_id, (s) => s.pid > 0)
    const settled = resultTool({ runId: run.run_id }).then(
      () => 'resolved',
      (e) => e.message,
    )
    await sleep(50)
    const t0 = process.hrtime.bigint()
    process.kill(pid, 'SIGKILL')
    const message = await settled
    times.push(ms(t0))
    if (!message.includes('SIGKILL')) throw new Error(`unexpected: ${message}`)
    await spawnTool({ prompt: 'say next', label: `after-${i}` }) // a new daemon
  }
  report('daemon SIGKILLed during resultTool', 'rejects with the signal; status failed', `${median(times).toFixed(1)} ms to reject (median of ${CRASHES})`)
}

// 2. Oversized request.
{
  const prompt = `say ${'x'.repeat(4 * 1024 * 1024)}`
  const t0 = process.hrtime.bigint()
  const message = await spawnTool({ prompt }).then(
    () => 'sent',
    (e) => e.message,
  )
  const took = ms(t0)
  if (!message.includes('4194304')) throw new Error(`unexpected: ${message}`)
  report('request line over 4 MiB', 'refused before sending; connection kept', `${took.toFixed(1)} ms to refuse`)
}

// 3. A FIFO as a run's event log, and a 2 GiB sparse log of zeros.
{
  const run = await spawnTool({ prompt: 'say log', label: 'log' })
  await untilStatus(run.run_id, (s) => s.status === 'done')
  const log = join(home, 'runs', run.run_id, 'events.log')
  if (!existsSync(log)) throw new Error(`no event log at ${log}`)
  mkdirSync(dirname(log), { recursive: true })
  rmSync(log, { force: true })
  execFileSync('mkfifo', [log])
  let t0 = process.hrtime.bigint()
  await eventsTool({ runId: run.run_id }).catch(() => null)
  report('FIFO as the event log', 'refused, the daemon history answers', `${ms(t0).toFixed(1)} ms`)
  rmSync(log)
  const fd = openSync(log, 'w')
  closeSync(fd)
  execFileSync('truncate', ['-s', '2G', log])
  const before = rssMiB()
  t0 = process.hrtime.bigint()
  await eventsTool({ runId: run.run_id }).catch(() => null)
  report('2 GiB sparse event log of zeros', '0 events, holes skipped', `${ms(t0).toFixed(1)} ms, RSS +${(rssMiB() - before).toFixed(1)} MiB`)
  rmSync(log)
}

await shutdownTool({})

// 4. Hosts SIGKILLed with a daemon running: orphans left.
{
  const host = join(root, '__test__', 'fixtures', 'host-with-daemon.mjs')
  let orphans = 0
  for (let i = 0; i < HOST_KILLS; i++) {
    const hostHome = mkdtempSync(join(home, 'host-'))
    const child = spawn(process.execPath, [host, 'wait'], { env: { ...process.env, AVENOR_HOME: hostHome }, stdio: ['ignore', 'pipe', 'ignore'] })
    const socket = await new Promise((resolve) => {
      let out = ''
      child.stdout.on('data', (d) => {
        out += d
        const line = out.split('\n').find((l) => l.startsWith('{'))
        if (line) resolve(JSON.parse(line).socket)
      })
    })
    child.kill('SIGKILL')
    await new Promise((r) => child.on('close', r))
    const deadline = Date.now() + 3000
    let alive = pidsMentioning(socket)
    while (alive.length > 0 && Date.now() < deadline) {
      await sleep(20)
      alive = pidsMentioning(socket)
    }
    orphans += alive.length
    for (const pid of alive) process.kill(pid, 'SIGKILL')
  }
  report(`host SIGKILLed with its daemon running (x${HOST_KILLS})`, 'the daemon ends too (parent-death signal)', `${orphans} orphans after ${HOST_KILLS} kills`)
}
