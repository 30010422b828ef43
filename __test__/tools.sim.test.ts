// The six v0.1.0 tools end to end against avenor-sim, through the package entry.
import { execFile, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Supervisor,
  answerPermissionTool,
  followUpTool,
  shutdownTool,
  spawnTool,
  statusTool,
} from '@dougbots/avenor-core'
import { simBinary, startSim, until, useTempHome } from './helpers/sim'

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
  process.env.AVENOR_BIN = simBinary()
})
afterAll(async () => {
  await Supervisor.currentInstance()?.close()
  home.cleanup()
})

const statusOf = (runId: string, supervisorId?: string) => statusTool({ runId, supervisorId }) as Promise<any>

describe('quick start: spawn → status until done → follow-up → shutdown', () => {
  it('runs the whole flow', async () => {
    const spawned = await spawnTool({ prompt: 'say hello from the sim', label: 'quick' })
    expect(spawned.label).toBe('quick')
    expect(spawned.run_id).toMatch(/^[0-9a-f-]{36}$/)
    expect(spawned.runtime_id).toMatch(/^rt_\d+$/)
    expect(spawned.supervisor_id).toBe(Supervisor.currentInstance()!.supervisorId)

    const done = await until(() => statusOf(spawned.run_id), (s) => s.status === 'done')
    expect(done).toMatchObject({
      run_id: spawned.run_id,
      label: 'quick',
      status: 'done',
      runtime_id: spawned.runtime_id,
      stop_reason: 'end_turn',
      final_output: 'hello from the sim',
    })
    expect(done.session_id).toMatch(/^ses_/)
    const sentinel = join(home.home, 'runs', spawned.run_id, 'sentinel.done')
    expect(readFileSync(sentinel, 'utf8')).toMatch(/^DONE\nSESSION=ses_\w+\nSTOP_REASON=end_turn\n/)

    // By label, and the lifecycle view.
    expect(await statusTool({ runId: 'quick', view: 'lifecycle' })).toEqual({
      run_id: spawned.run_id,
      label: 'quick',
      status: 'done',
      runtime_id: spawned.runtime_id,
      phase: 'done',
      latest_seq: done.latest_seq,
    })
    const list = (await statusTool({})) as any[]
    expect(Array.isArray(list)).toBe(true)
    expect(list.map((r) => r.run_id)).toContain(spawned.run_id)

    const follow = await followUpTool({ runId: spawned.run_id, message: 'say second turn' })
    expect(follow.label).toBe('quick-followup')
    expect(follow.run_id).not.toBe(spawned.run_id)
    const second = await until(() => statusOf(follow.run_id), (s) => s.status === 'done')
    expect(second.final_output).toBe('second turn')
    expect(second.session_id).toBe(done.session_id)

    const socket = spawned.supervisor_id
    const shut = await shutdownTool({})
    expect(shut.ok).toBe(true)
    expect(shut.cleaned_up).toEqual(expect.arrayContaining([sentinel]))
    expect(existsSync(sentinel)).toBe(false)
    expect(existsSync(socket)).toBe(false)
    expect(Supervisor.currentInstance()).toBeNull()
  })

  it('unknown run ids answer like the original: a running placeholder', async () => {
    expect(await statusTool({ runId: 'nope' })).toMatchObject({ run_id: 'nope', label: 'nope', status: 'running' })
    await expect(statusTool({ runId: 'a/b' })).rejects.toThrow('invalid run_id: a/b')
    await expect(statusTool({ runId: 'x', view: 'bogus' as any })).rejects.toThrow('invalid status view: bogus')
  })

  it('rejects bad input before any RPC', async () => {
    await expect(spawnTool({ rosterFile: '/r.json' })).rejects.toThrow(
      'invalid spawn selector: roster_file requires roster_entry',
    )
    await expect(spawnTool({ prompt: 'x', timeout: '5d' })).rejects.toThrow('invalid timeout: 5d')
    await expect(followUpTool({ runId: 'never-spawned', message: 'hi' })).rejects.toThrow('run not found: never-spawned')
  })
})

describe('permissions', () => {
  it('answers a pending permission found through status', async () => {
    const run = await spawnTool({ prompt: 'permission bash; say after' })
    const waiting = await until(() => statusOf(run.run_id), (s) => s.status === 'waiting')
    expect(waiting.pending_permission).toEqual({
      request_id: expect.stringMatching(/^perm_/),
      description: expect.any(String),
      options: [
        { option_id: 'allow', label: 'Allow', kind: 'allow_once' },
        { option_id: 'reject', label: 'Reject', kind: 'reject_once' },
      ],
    })
    expect(await answerPermissionTool({ runId: run.run_id, optionId: 'allow' })).toEqual({ ok: true })
    const done = await until(() => statusOf(run.run_id), (s) => s.status === 'done')
    expect(done.final_output).toBe('permission grantedafter')
    await expect(answerPermissionTool({ runId: run.run_id, optionId: 'allow' })).rejects.toThrow(
      'no pending permission request for this run',
    )
  })
})

describe('statusTool({ runId }) of a run the singleton tracks', () => {
  // Answered on the host's loop over a connection of its own (see
  // supervisor-process.spec.mjs); naming the singleton explicitly takes the
  // Tokio path through its own connection. Both answer alike.
  it('answers as through the singleton’s own connection, waiting and done, in both views', async () => {
    const run = await spawnTool({ prompt: 'permission bash; say after', label: 'both-paths' })
    const supervisorId = Supervisor.currentInstance()!.supervisorId
    const waiting = await until(() => statusOf(run.run_id), (s) => s.status === 'waiting')
    expect(waiting).toMatchObject({ run_id: run.run_id, label: 'both-paths', runtime_id: run.runtime_id })
    expect(await statusOf(run.run_id, supervisorId)).toEqual(waiting)
    expect(await statusOf('both-paths')).toEqual(waiting)
    const lifecycle = await statusTool({ runId: run.run_id, view: 'lifecycle' })
    expect(lifecycle).toEqual(await statusTool({ runId: run.run_id, supervisorId, view: 'lifecycle' }))
    await answerPermissionTool({ runId: run.run_id, optionId: 'allow' })
    const done = await until(() => statusOf(run.run_id), (s) => s.status === 'done')
    expect(done.final_output).toBe('permission grantedafter')
    expect(await statusOf(run.run_id, supervisorId)).toEqual(done)
    await expect(statusTool({ runId: run.run_id, view: 'bogus' as any })).rejects.toThrow('invalid status view: bogus')
  })
})

describe('a daemon that crashes mid-run', () => {
  it('is reported by status and replaced by the next get()', async () => {
    const run = await spawnTool({ prompt: 'sleep 30; crash-daemon 3' })
    const sup = Supervisor.currentInstance()!
    const reported = await until(
      () => statusTool({ runId: run.run_id, supervisorId: sup.supervisorId }).then(() => '', (e: Error) => e.message),
      (m) => m !== '',
    )
    expect(reported).toBe('avenor supervisor crashed (exit code 3). Call avenor_shutdown to clean up and retry.')
    const fresh = await Supervisor.get()
    expect(fresh).not.toBe(sup)
    expect(typeof (await fresh.getClient().status())).toBe('object')
  })
})

describe('an explicit supervisor', () => {
  let daemon: ChildProcess
  let socket: string
  beforeAll(async () => {
    socket = join(home.home, 'sockets', 'avenor-mcp-external.sock')
    daemon = await startSim(socket)
  })
  afterAll(() => {
    daemon.kill('SIGINT')
  })

  it('persists the run as run.json and a second Node process finds it', async () => {
    const run = await spawnTool({ prompt: 'say external', label: 'ext', supervisorId: socket })
    expect(run.supervisor_id).toBe(socket)
    expect(run.run_id).not.toBe(run.runtime_id)
    const meta = join(home.home, 'runs', run.run_id, 'run.json')
    expect(statSync(meta).mode & 0o777).toBe(0o600)
    const record = JSON.parse(readFileSync(meta, 'utf8'))
    expect(record).toMatchObject({ schemaVersion: 1, runId: run.run_id, label: 'ext', runtimeId: run.runtime_id, supervisorId: socket })
    expect('parentToken' in record).toBe(false)

    const script = `
      const { statusTool } = require('@dougbots/avenor-core')
      const poll = async () => {
        for (;;) {
          const s = await statusTool({ runId: ${JSON.stringify(run.run_id)}, supervisorId: ${JSON.stringify(socket)} })
          if (s.status === 'done') return s
          await new Promise((r) => setTimeout(r, 20))
        }
      }
      poll().then((s) => console.log(JSON.stringify(s)))
    `
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { cwd: __dirname, env: process.env, timeout: 10_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(stderr || String(err))) : resolve(stdout),
      ),
    )
    expect(JSON.parse(out)).toMatchObject({ run_id: run.run_id, label: 'ext', runtime_id: run.runtime_id, status: 'done', final_output: 'external' })

    // Follow-up and shutdown of the external supervisor.
    const follow = await followUpTool({ runId: run.run_id, message: 'say again', supervisorId: socket })
    expect(follow.label).toBe(`${run.run_id}-followup`)
    expect(follow.runtime_id).not.toBe(run.runtime_id)
    const shut = await shutdownTool({ supervisorId: socket })
    expect(shut.cleaned_up).toEqual(expect.arrayContaining([meta]))
    expect(existsSync(meta)).toBe(false)
  })
})

describe('registries (cases 35, 37)', () => {
  it('label collisions never shadow public ids, in lookups and in the list', async () => {
    const first = await spawnTool({ prompt: 'say one', label: 'shared' })
    const second = await spawnTool({ prompt: 'say two', label: first.run_id })
    expect((await statusOf(first.run_id)).runtime_id).toBe(first.runtime_id)
    expect((await statusOf('shared')).run_id).toBe(first.run_id)
    const list = (await statusTool({})) as any[]
    const byRun = new Map(list.map((r) => [r.run_id, r]))
    expect(byRun.get(first.run_id)).toMatchObject({ runtime_id: first.runtime_id, label: 'shared' })
    expect(byRun.get(second.run_id)).toMatchObject({ runtime_id: second.runtime_id, label: first.run_id })
  })

  it('Supervisor.spawn keeps identity and auto_approve across chained follow-ups', async () => {
    const sup = await Supervisor.get()
    const info = await sup.spawn({ agent: 'explore', backend: 'pi', dir: '/tmp/original-repo', auto_approve: true, prompt: 'say exit 0' })
    expect(info).toMatchObject({ agent: 'explore', backend: 'pi', dir: '/tmp/original-repo', autoApprove: true })
    expect(typeof info.runtimeId).toBe('string')
    expect(info.sentinelPath).toBe(join(home.home, 'runs', info.runId, 'sentinel.done'))
    expect(info.eventLogPath).toBe(join(home.home, 'runs', info.runId, 'events.log'))
    await until(() => statusOf(info.runId), (s) => s.status === 'done')
    const one = await followUpTool({ runId: info.runId, message: 'say again' })
    await until(() => statusOf(one.run_id), (s) => s.status === 'done')
    const two = await followUpTool({ runId: one.run_id, message: 'say and again' })
    const live = await sup.getClient().status(two.runtime_id)
    expect(live.auto_approve).toBe(true)
    expect(live.agent).toBe('explore')
  })
})
