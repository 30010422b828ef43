// `npm run bench`: the addon against a plain-JS node:net client (bench/plain-client.mjs),
// both talking to avenor-sim in this process's run, eventsTool's tail read against
// a whole-file scan of the same log, statusTool against the plain RPCs and file reads
// it stands for, and the resident memory of a host holding 100 runs. Prints each
// figure with its ratio. Runs under Node and Bun (`bun bench/run.mjs`).
import { spawn } from 'node:child_process'
import { createReadStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Supervisor, dial, eventsTool, shutdownTool, socketsRoot, spawnTool, statusTool } from '@dougbots/avenor-core'
import { pidsMentioning } from '../__test__/helpers/pids.mjs'
import { plainDial } from './plain-client.mjs'

const runtime = typeof Bun === 'undefined' ? `node ${process.version}` : `bun ${Bun.version}`
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sim = ['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync)
const SEQUENTIAL_CALLS = Number(process.env.BENCH_SEQUENTIAL_CALLS ?? 20_000)
const CONCURRENT_BATCHES = Number(process.env.BENCH_CONCURRENT_BATCHES ?? 2000)
const STREAM_EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100_000)
const LOG_BYTES = Number(process.env.BENCH_LOG_BYTES ?? 1024 ** 3)
const STATUS_TOOL_CALLS = Number(process.env.BENCH_STATUS_TOOL_CALLS ?? 300)
const STATUS_LIST_CALLS = Number(process.env.BENCH_STATUS_LIST_CALLS ?? 100)
const HELD_RUNS = Number(process.env.BENCH_HELD_RUNS ?? 100)

const dir = mkdtempSync(join(tmpdir(), 'avenor-bench-'))
process.env.AVENOR_HOME = dir
const socket = join(dir, 'ctl.sock')
const daemon = spawn(sim, ['stable', '--control-socket', socket], { stdio: 'ignore', env: { ...process.env, TMPDIR: dir } })
// The daemon never outlives the benchmark, however it ends.
process.on('exit', () => daemon.kill('SIGKILL'))
// The socket file appears at bind(), a moment before listen(): wait until it accepts.
for (;;) {
  const accepted =
    existsSync(socket) &&
    (await new Promise((resolve) => {
      const probe = net.createConnection(socket)
      probe.once('connect', () => resolve(probe.destroy() && true))
      probe.once('error', () => resolve(false))
    }))
  if (accepted) break
  await new Promise((r) => setTimeout(r, 5))
}

const rows = []
function row(name, addon, plain, unit, better) {
  // ratio > 1 means the addon is better, whichever way "better" points.
  const ratio = better === 'lower' ? plain / addon : addon / plain
  rows.push({ name, addon, plain, unit, ratio })
  console.log(`${name.padEnd(44)} addon ${fmt(addon)} ${unit}   baseline ${fmt(plain)} ${unit}   ratio ${ratio.toFixed(2)}x`)
}
const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)).padStart(10)
const percentile = (xs, p) => xs.slice().sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]

// The CPU time this whole process (every thread, user and system) spent per
// call: what the client costs its host, apart from the daemon's share and the
// waits that the wall-clock rows also count.
const cpuMicros = () => {
  const { user, system } = process.cpuUsage()
  return user + system
}

async function roundTrips(call, calls = SEQUENTIAL_CALLS, warmUp = 200) {
  for (let i = 0; i < warmUp; i++) await call()
  const times = []
  const cpuBefore = cpuMicros()
  for (let i = 0; i < calls; i++) {
    const t = process.hrtime.bigint()
    await call()
    times.push(Number(process.hrtime.bigint() - t) / 1000)
  }
  const cpuPerCall = (cpuMicros() - cpuBefore) / calls
  return { p50: percentile(times, 50), p99: percentile(times, 99), times, cpuPerCall }
}

async function throughput(call, batches = CONCURRENT_BATCHES) {
  for (let b = 0; b < 3; b++) await Promise.all(Array.from({ length: 64 }, call))
  const cpuBefore = cpuMicros()
  const t = process.hrtime.bigint()
  for (let b = 0; b < batches; b++) await Promise.all(Array.from({ length: 64 }, call))
  const perSecond = (batches * 64) / (Number(process.hrtime.bigint() - t) / 1e9)
  return { perSecond, cpuPerCall: (cpuMicros() - cpuBefore) / (batches * 64) }
}

/**
 * Resolves once run `runtimeId` has finished and `idle()` reports no event for
 * 200 ms: a reader slower than the daemon may lose session.end itself.
 */
async function streamSettled(statusOf, runtimeId, idle, finished) {
  while (!finished()) {
    await new Promise((r) => setTimeout(r, 50))
    const st = await statusOf(runtimeId).catch(() => ({}))
    if (st.phase === 'done' && idle() >= 200) return
  }
}

/**
 * Streams `chunks N` to a reader and counts what it receives until the stream
 * settles. `prepare()` dials the reader's and the watcher's connections before
 * the clock starts (dialling is not reading); the returned `run(prompt)`
 * subscribes, spawns and reads, and is timed until the last event arrived.
 */
async function streamed(prepare) {
  const run = await prepare()
  const t = process.hrtime.bigint()
  const { received, dropped, lastAt } = await run(`chunks ${STREAM_EVENTS}`)
  const seconds = Number(lastAt - t) / 1e9
  return { perSecond: (received + dropped) / seconds, receivedPerSecond: received / seconds, received, dropped }
}

console.log(`avenor-core benchmark — ${runtime}, avenor-sim ${sim.includes('release') ? 'release' : 'debug'} build\n`)

const addon = await dial(socket)
const plain = await plainDial(socket)

// The machine's state drifts during a run (frequency, what else is scheduled),
// so both sides are measured in ROUNDS alternating slices, and the slices of
// each side are pooled (latency) or their median taken (throughput). The range
// of the per-slice ratios is printed under each row: how far one slice alone
// could be trusted.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const addonTimes = []
const plainTimes = []
const sliceRatios = { p50: [], p99: [] }
const sequentialCpu = { addon: [], plain: [] }
for (let r = 0; r < ROUNDS; r++) {
  const a = await roundTrips(() => addon.status(), Math.ceil(SEQUENTIAL_CALLS / ROUNDS), r === 0 ? 200 : 20)
  const p = await roundTrips(() => plain.call('status'), Math.ceil(SEQUENTIAL_CALLS / ROUNDS), r === 0 ? 200 : 20)
  addonTimes.push(...a.times)
  plainTimes.push(...p.times)
  sliceRatios.p50.push(p.p50 / a.p50)
  sliceRatios.p99.push(p.p99 / a.p99)
  sequentialCpu.addon.push(a.cpuPerCall)
  sequentialCpu.plain.push(p.cpuPerCall)
}
const medianOf = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const spread = (ratios, what = 'slices') =>
  `${''.padEnd(44)} (${ratios.length} ${what}: ratio ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}x, median ${medianOf(ratios).toFixed(2)}x)`
row('sequential status() round trip, p50', percentile(addonTimes, 50), percentile(plainTimes, 50), 'µs', 'lower')
console.log(spread(sliceRatios.p50))
row('sequential status() round trip, p99', percentile(addonTimes, 99), percentile(plainTimes, 99), 'µs', 'lower')
console.log(spread(sliceRatios.p99))
const addonRates = []
const plainRates = []
const concurrentCpu = { addon: [], plain: [] }
for (let r = 0; r < ROUNDS; r++) {
  const a = await throughput(() => addon.status(), Math.ceil(CONCURRENT_BATCHES / ROUNDS))
  const p = await throughput(() => plain.call('status'), Math.ceil(CONCURRENT_BATCHES / ROUNDS))
  addonRates.push(a.perSecond)
  plainRates.push(p.perSecond)
  concurrentCpu.addon.push(a.cpuPerCall)
  concurrentCpu.plain.push(p.cpuPerCall)
}
row('64 concurrent status() calls, throughput', medianOf(addonRates), medianOf(plainRates), 'calls/s', 'higher')
console.log(spread(addonRates.map((a, i) => a / plainRates[i])))
// The host's CPU per call, median of the slices above (the same calls).
row('host CPU per sequential status() call', medianOf(sequentialCpu.addon), medianOf(sequentialCpu.plain), 'µs', 'lower')
console.log(spread(sequentialCpu.addon.map((a, i) => sequentialCpu.plain[i] / a)))
row('host CPU per call, 64 concurrent', medianOf(concurrentCpu.addon), medianOf(concurrentCpu.plain), 'µs', 'lower')
console.log(spread(concurrentCpu.addon.map((a, i) => concurrentCpu.plain[i] / a)))

// Ownership of mutating calls is per connection (protocol §2.1): each stream run
// subscribes and spawns on its own connection, after the others are closed.
addon.close()
plain.close()
await new Promise((r) => setTimeout(r, 50))

const addonStreamOnce = () =>
  streamed(async () => {
    const streamClient = await dial(socket)
    const watcher = await dial(socket)
    return async (prompt) => {
      await streamClient.subscribe()
      const events = streamClient.events()
      const { runtime_id } = await streamClient.spawn({ prompt })
      let received = 0
      let dropped = 0
      let last = Date.now()
      let lastAt = process.hrtime.bigint()
      let finished = false
      void streamSettled((rt) => watcher.status(rt), runtime_id, () => Date.now() - last, () => finished).then(() => events.return())
      for (let r = await events.next(); !r.done; r = await events.next()) {
        const ev = r.value
        last = Date.now()
        lastAt = process.hrtime.bigint()
        if (ev.event === 'client.lagged' || ev.event === 'subscriber.lagged') dropped += ev.dropped_count
        else received++
        if (ev.event === 'session.end') break
      }
      finished = true
      watcher.close()
      streamClient.close()
      return { received, dropped, lastAt }
    }
  })
const plainStreamOnce = () =>
  streamed(async () => {
    const streamClient = await plainDial(socket)
    const watcher = await plainDial(socket)
    return async (prompt) => {
      let received = 0
      let dropped = 0
      let last = Date.now()
      let lastAt = process.hrtime.bigint()
      const ended = new Promise((resolve) =>
        streamClient.onEvent((ev) => {
          last = Date.now()
          lastAt = process.hrtime.bigint()
          if (ev.event === 'subscriber.lagged') dropped += ev.dropped_count
          else received++
          if (ev.event === 'session.end') resolve()
        }),
      )
      await streamClient.call('subscribe')
      const { runtime_id } = await streamClient.call('spawn', { prompt })
      let finished = false
      await Promise.race([ended, streamSettled((rt) => watcher.call('status', { runtime_id: rt }), runtime_id, () => Date.now() - last, () => finished)])
      finished = true
      watcher.close()
      streamClient.close()
      return { received, dropped, lastAt }
    }
  })
// The protocol has no back-pressure: a reader slower than the daemon loses
// events (announced by client.lagged / subscriber.lagged). Both the stream's
// pace and what the reader actually received are reported.
// A stream's outcome varies a lot from run to run on a small machine (who is
// scheduled when decides what is dropped): each side streams STREAM_RUNS
// times, alternating, and the run with the median received rate counts.
const STREAM_RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 11)
const addonRuns = []
const plainRuns = []
for (let i = 0; i < STREAM_RUNS; i++) {
  addonRuns.push(await addonStreamOnce())
  await new Promise((r) => setTimeout(r, 50))
  plainRuns.push(await plainStreamOnce())
  await new Promise((r) => setTimeout(r, 50))
}
const medianRun = (runs) => runs.slice().sort((a, b) => a.receivedPerSecond - b.receivedPerSecond)[Math.floor(runs.length / 2)]
const addonStream = medianRun(addonRuns)
const plainStream = medianRun(plainRuns)
row(`events() pace, ${STREAM_EVENTS.toLocaleString('en-US')} streamed events`, addonStream.perSecond, plainStream.perSecond, 'events/s', 'higher')
row('events() received by the reader', addonStream.receivedPerSecond, plainStream.receivedPerSecond, 'events/s', 'higher')
console.log(`${''.padEnd(44)} (addon received ${addonStream.received}, dropped ${addonStream.dropped}; baseline received ${plainStream.received}, dropped ${plainStream.dropped})`)
console.log(spread(addonRuns.map((a, i) => a.receivedPerSecond / plainRuns[i].receivedPerSecond), 'stream pairs'))

// eventsTool on a large log: tail read (the addon) vs the original's whole-file scan.
function writeLog(path, bytes) {
  const fd = openSync(path, 'w')
  const filler = 'x'.repeat(900)
  const block = []
  let seq = 0
  let written = 0
  while (written < bytes) {
    block.length = 0
    for (let i = 0; i < 1000; i++) block.push(JSON.stringify({ event: i % 10 === 0 ? 'tool.call' : 'agent.message_chunk', seq: ++seq, text: filler }))
    const text = block.join('\n') + '\n'
    writeSync(fd, text)
    written += Buffer.byteLength(text)
  }
  closeSync(fd)
}
async function wholeFileScan(path, limit, types) {
  const kept = []
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity })
  for await (const line of lines) {
    if (!line.trim()) continue
    let record
    try {
      record = JSON.parse(line)
    } catch {
      continue
    }
    if (types.includes(record.event ?? record.type)) {
      kept.push(record)
      if (kept.length > limit) kept.shift()
    }
  }
  return kept
}
mkdirSync(socketsRoot(), { recursive: true, mode: 0o700 })
const logDaemonSocket = join(socketsRoot(), 'avenor-mcp-bench.sock')
let logPath = ''
const logDaemon = net.createServer((s) => {
  let buf = ''
  s.on('data', (d) => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      const req = JSON.parse(buf.slice(0, nl))
      buf = buf.slice(nl + 1)
      s.write(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: { runtime_id: 'rt_1', event_path: logPath } }) + '\n')
    }
  })
})
await new Promise((r) => logDaemon.listen(logDaemonSocket, r))
async function timeIt(fn, times = 3) {
  let best = Infinity
  for (let i = 0; i < times; i++) {
    const t = process.hrtime.bigint()
    await fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6)
  }
  return best
}
mkdirSync(join(dir, 'logs'))
const small = join(dir, 'logs', 'small.log')
const large = join(dir, 'logs', 'large.log')
writeLog(small, 1024 ** 2)
writeLog(large, LOG_BYTES)
const query = { runId: 'bench', supervisorId: logDaemonSocket, types: ['tool.call'], limit: 50 }
logPath = small
const tailSmall = await timeIt(() => eventsTool(query))
logPath = large
const tailLarge = await timeIt(() => eventsTool(query))
const check = await eventsTool(query)
const scanned = await wholeFileScan(large, 50, ['tool.call'])
if (JSON.stringify(check.events.map((e) => e.seq)) !== JSON.stringify(scanned.map((e) => e.seq))) throw new Error('tail read and scan disagree')
const scanLarge = await timeIt(() => wholeFileScan(large, 50, ['tool.call']), 1)
const mib = (statSync(large).size / 1024 ** 2).toFixed(0)
row(`eventsTool newest 50 of a ${mib} MiB log`, tailLarge, scanLarge, 'ms', 'lower')
console.log(`${''.padEnd(44)} (tail read: ${tailSmall.toFixed(2)} ms on a 1 MiB log, ${tailLarge.toFixed(2)} ms on ${mib} MiB)`)

logDaemon.close()

// The longest stall of the JS thread while one 8 MiB reply is received and
// handed over, against JSON.parse of the same reply text in JS (what a plain
// client must at least do).
const BIG_REPLY = Number(process.env.BENCH_BIG_REPLY_BYTES ?? 8 * 1024 * 1024)
const bigClient = await dial(socket)
const { runtime_id: bigRuntime } = await bigClient.spawn({ prompt: `bytes ${BIG_REPLY}` })
while ((await bigClient.status(bigRuntime)).phase !== 'done') await new Promise((r) => setTimeout(r, 20))
async function longestStall(work) {
  let longest = 0
  let last = performance.now()
  let running = true
  const tick = () => {
    const now = performance.now()
    longest = Math.max(longest, now - last)
    last = now
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  await work()
  running = false
  await new Promise((r) => setImmediate(r))
  return longest
}
const bigReply = await bigClient.call('result', { runtime_id: bigRuntime })
if (bigReply.final_output.length !== BIG_REPLY) throw new Error('the big reply was cut')
const addonStall = await longestStall(() => bigClient.call('result', { runtime_id: bigRuntime }))
const bigText = JSON.stringify(bigReply)
const parseStarted = performance.now()
JSON.parse(bigText)
const parseMs = performance.now() - parseStarted
row(`longest JS-thread stall, ${(BIG_REPLY / 1024 ** 2).toFixed(0)} MiB reply`, addonStall, parseMs, 'ms', 'lower')
bigClient.close()

// Cold start: Supervisor.get() (readiness byte) against the original's wait
// (sleep 100 ms, then dial until it answers), both starting avenor-sim.
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const COLD_STARTS = Number(process.env.BENCH_COLD_STARTS ?? 7)
process.env.AVENOR_BIN = sim
const addonStarts = []
for (let i = 0; i < COLD_STARTS; i++) {
  const t = process.hrtime.bigint()
  const sup = await Supervisor.get()
  addonStarts.push(Number(process.hrtime.bigint() - t) / 1e6)
  await sup.close()
}
const plainStarts = []
for (let i = 0; i < COLD_STARTS; i++) {
  const path = join(dir, `cold-${i}.sock`)
  const t = process.hrtime.bigint()
  const child = spawn(sim, ['stable', '--control-socket', path, '--idle-timeout', '30m'], { stdio: 'ignore' })
  for (;;) {
    await new Promise((r) => setTimeout(r, 100))
    try {
      const c = await plainDial(path)
      c.close()
      break
    } catch {}
  }
  plainStarts.push(Number(process.hrtime.bigint() - t) / 1e6)
  const gone = new Promise((r) => child.once('exit', r))
  child.kill('SIGINT')
  await gone
}
row('cold start until the daemon answers (median)', median(addonStarts), median(plainStarts), 'ms', 'lower')

// statusTool on the daemon spawnTool starts (AVENOR_BIN above, under AVENOR_HOME),
// against the least a plain-JS statusTool must do for the same answer: the daemon's
// view of the run over the socket and the run's sentinel, where the daemon writes
// the outcome (status word, SESSION, STOP_REASON). The addon keeps singleton runs in
// memory; on disk `<AVENOR_HOME>/runs/<runId>/` holds only sentinel.done and
// events.log (run.json is written for runs on another supervisor's daemon).
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
/** spawnTool, retried while admission refuses it (-32050: 16 turns in flight). */
async function spawnAdmitted(args) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnTool(args)
    } catch (e) {
      if (!/max runtimes/.test(e.message) || attempt >= 100) throw e
      await sleep(20)
    }
  }
}
/** The sentinel as the baseline reads it: first line the word, then KEY=VALUE lines. */
function readSentinel(path) {
  let text
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch {
    return null
  }
  if (!text) return null
  const [word, ...lines] = text.split('\n')
  const fields = { word }
  for (const line of lines.map((l) => l.trim())) {
    const eq = line.indexOf('=')
    if (eq > 0) fields[line.slice(0, eq)] = line.slice(eq + 1)
  }
  return fields
}
const first = await spawnAdmitted({ prompt: 'say hi' })
const statusClient = await plainDial(first.supervisor_id)
// The baseline's registry: runtime id → the sentinel path it chose at spawn.
const sentinelOf = new Map([[first.runtime_id, join(dir, 'runs', first.run_id, 'sentinel.done')]])
while ((await statusClient.call('status', { runtime_id: first.runtime_id })).phase !== 'done') await sleep(20)
// Sentinel first, then the live status: the order the addon uses.
async function plainStatusOne() {
  const sentinel = readSentinel(sentinelOf.get(first.runtime_id))
  return { live: await statusClient.call('status', { runtime_id: first.runtime_id }), sentinel }
}
const addonOne = await statusTool({ runId: first.run_id })
const plainOne = await plainStatusOne()
if (addonOne.status !== 'done' || plainOne.sentinel?.word !== 'DONE' || addonOne.session_id !== plainOne.sentinel.SESSION) throw new Error('statusTool and the baseline disagree')
const statusWarmUp = Math.min(200, STATUS_TOOL_CALLS)
/**
 * Both sides' round trips in `rounds` alternating slices (as the call rows
 * above), pooled; prints the row and the range of per-slice ratios.
 */
async function alternatedRow(name, addonCall, plainCall, calls, warmUp, rounds = 10) {
  const addonTimes = []
  const plainTimes = []
  const ratios = []
  const perSlice = Math.ceil(calls / rounds)
  for (let r = 0; r < rounds; r++) {
    const a = await roundTrips(addonCall, perSlice, r === 0 ? warmUp : 2)
    const p = await roundTrips(plainCall, perSlice, r === 0 ? warmUp : 2)
    addonTimes.push(...a.times)
    plainTimes.push(...p.times)
    ratios.push(p.p50 / a.p50)
  }
  row(name, percentile(addonTimes, 50), percentile(plainTimes, 50), 'µs', 'lower')
  console.log(spread(ratios))
}
await alternatedRow('statusTool({ runId }), one run, p50', () => statusTool({ runId: first.run_id }), plainStatusOne, STATUS_TOOL_CALLS, statusWarmUp)

// statusTool({}) over HELD_RUNS runs (the run above is the first). A `list` entry is
// the object `status` answers (protocol §2.5), so the baseline is one `list` and a
// sentinel per run; the addon, like the original, asks `status` again for each run.
for (let i = 1; i < HELD_RUNS; i++) {
  const r = await spawnAdmitted({ prompt: 'say hi' })
  sentinelOf.set(r.runtime_id, join(dir, 'runs', r.run_id, 'sentinel.done'))
}
while ((await statusClient.call('list')).some((e) => e.phase !== 'done')) await sleep(20)
async function plainStatusAll() {
  const entries = await statusClient.call('list')
  return entries.map((live) => ({ live, sentinel: readSentinel(sentinelOf.get(live.runtime_id)) }))
}
const addonAll = await statusTool({})
const plainAll = await plainStatusAll()
if (!Array.isArray(addonAll) || addonAll.length !== HELD_RUNS || addonAll.some((r) => r.status !== 'done')) throw new Error('statusTool({}) did not list the runs as done')
if (plainAll.length !== HELD_RUNS || plainAll.some((r) => r.sentinel?.word !== 'DONE')) throw new Error('the baseline did not list the runs as done')
const listWarmUp = Math.min(10, STATUS_LIST_CALLS)
await alternatedRow(`statusTool({}) listing ${HELD_RUNS} runs, p50`, () => statusTool({}), plainStatusAll, STATUS_LIST_CALLS, listWarmUp)
statusClient.close()
// Stops the singleton's daemon before the memory row.
await shutdownTool({})

// Resident memory of a host holding HELD_RUNS runs: two child processes of this
// runtime (bench/memory-host.mjs), each with its own AVENOR_HOME and daemon, so
// neither figure carries this process's state. Each must end by itself within 60 s,
// and no daemon of it may outlive it (found by its socket path under that home;
// /proc, so Linux only).
const memoryHost = join(dirname(fileURLToPath(import.meta.url)), 'memory-host.mjs')
const HOST_DEADLINE_MS = 60_000
const daemonsUnder = (home) => (existsSync('/proc') ? pidsMentioning(home) : [])
async function hostRss(mode) {
  const home = mkdtempSync(join(dir, `host-${mode}-`))
  const child = spawn(process.execPath, [memoryHost, mode, String(HELD_RUNS)], {
    env: { ...process.env, AVENOR_HOME: home, AVENOR_BIN: sim },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let timedOut = false
  const kill = () => child.kill('SIGKILL')
  process.on('exit', kill)
  const deadline = setTimeout(() => {
    timedOut = true
    kill()
  }, HOST_DEADLINE_MS)
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const [code, signal] = await new Promise((r) => child.once('close', (c, s) => r([c, s])))
  clearTimeout(deadline)
  process.off('exit', kill)
  // A daemon still stopping gets a second; whatever is left is counted and killed.
  let left = daemonsUnder(home)
  for (const until = Date.now() + 1000; left.length > 0 && Date.now() < until; left = daemonsUnder(home)) await sleep(20)
  for (const pid of left) process.kill(pid, 'SIGKILL')
  const problems = []
  if (timedOut) problems.push(`did not end within ${HOST_DEADLINE_MS / 1000} s`)
  else if (code !== 0) problems.push(`ended with ${signal ?? `code ${code}`}`)
  if (left.length > 0) problems.push(`left ${left.length} daemon(s) running (now killed)`)
  if (problems.length > 0) throw new Error(`the ${mode} memory host ${problems.join(' and ')}`)
  return JSON.parse(out).rss / 1024 ** 2
}
row(`resident memory, host holding ${HELD_RUNS} runs`, await hostRss('addon'), await hostRss('plain'), 'MiB', 'lower')

const exited = new Promise((r) => daemon.once('exit', r))
daemon.kill('SIGINT')
await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
daemon.kill('SIGKILL')
rmSync(dir, { recursive: true, force: true })
