// Supervisor lifecycle against avenor-sim (core-spec §5, §18 case 36).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Supervisor, findAvenorBinary } from '@dougbots/avenor-core'
import { script, simBinary, until, useTempHome } from './helpers/sim'

/** Whether `pid` runs; a zombie waiting for its reaper counts as gone. */
function running(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

let home: ReturnType<typeof useTempHome>
beforeAll(() => {
  home = useTempHome()
  process.env.AVENOR_BIN = simBinary()
})
afterEach(async () => {
  await Supervisor.currentInstance()?.close()
})
afterAll(() => home.cleanup())

describe('Supervisor', () => {
  it('starts the daemon on <AVENOR_HOME>/sockets/avenor-mcp-<pid>.sock and answers status', async () => {
    expect(Supervisor.currentInstance()).toBeNull()
    const sup = await Supervisor.get()
    expect(sup.supervisorId).toBe(`${home.home}/sockets/avenor-mcp-${process.pid}.sock`)
    expect(statSync(`${home.home}/sockets`).mode & 0o777).toBe(0o700)
    const status = await sup.getClient().status()
    expect(typeof status).toBe('object')
    expect(Supervisor.currentInstance()).toBe(sup)
    expect(Supervisor.isCurrentInstance(sup.supervisorId)).toBe(true)
    expect(Supervisor.isCurrentInstance(sup.supervisorId + 'x')).toBe(false)
  })

  it('coalesces concurrent cold starts into one instance', async () => {
    const [a, b] = await Promise.all([Supervisor.get(), Supervisor.get()])
    expect(a).toBe(b)
    expect(await Supervisor.get()).toBe(a)
  })

  it('close() removes the socket and the next get() is a new instance', async () => {
    const sup = await Supervisor.get()
    const socket = sup.supervisorId
    expect(existsSync(socket)).toBe(true)
    await sup.close()
    expect(existsSync(socket)).toBe(false)
    expect(Supervisor.currentInstance()).toBeNull()
    expect(() => sup.getClient()).toThrow('supervisor not started')
    const next = await Supervisor.get()
    expect(next).not.toBe(sup)
  })

  it('a daemon that exits during startup rejects with its code and stderr as cause; the next get() works', async () => {
    const failing = script(home.home, 'fail.sh', 'echo "bad flags" >&2; exit 1')
    const err = await Supervisor.get({ binaryPath: failing }).catch((e) => e)
    expect(err.message).toBe('avenor exited with code 1 during startup')
    expect(err.cause?.message).toBe('bad flags')
    const sup = await Supervisor.get()
    expect(typeof (await sup.getClient().status())).toBe('object')
  })

  it('an AVENOR_HOME too long for a socket path is named in the error before anything starts', async () => {
    const saved = process.env.AVENOR_HOME
    const longHome = join(home.home, 'h'.repeat(120))
    process.env.AVENOR_HOME = longHome
    try {
      // Before the check the daemon failed to bind: "avenor exited with code 1 during startup".
      const err = await Supervisor.get().catch((e) => e)
      const socket = `${longHome}/sockets/avenor-mcp-${process.pid}.sock`
      const max = process.platform === 'darwin' ? 103 : 107
      expect(err.message).toBe(
        `control socket path is too long: ${socket} is ${socket.length} bytes, but a Unix socket path may have at most ${max} bytes ` +
          `on this system (${max + 1} with the terminating NUL). Set AVENOR_HOME to a directory at least ${socket.length - max} bytes ` +
          'shorter (the socket is <AVENOR_HOME>/sockets/avenor-mcp-<pid>.sock).',
      )
      expect(Supervisor.currentInstance()).toBeNull()
    } finally {
      process.env.AVENOR_HOME = saved
    }
  })

  it('close() stops a wrapper-script daemon together with the children it started', async () => {
    const pidFile = join(home.home, 'wrapper-child.pid')
    // The background job ignores SIGINT (non-interactive shell) and outlives the wrapper
    // unless the wrapper's process group is stopped with it.
    const wrapper = script(home.home, 'wrapper.sh', `sleep 100 & echo $! > "${pidFile}"\n"${simBinary()}" "$@"\necho after`)
    const sup = await Supervisor.get({ binaryPath: wrapper })
    const child = Number(readFileSync(pidFile, 'utf8'))
    try {
      expect(running(child)).toBe(true)
      await sup.close()
      expect(await until(async () => running(child), (alive) => !alive, 3000)).toBe(false)
    } finally {
      if (running(child)) process.kill(child, 'SIGKILL')
    }
  })

  it('a binary that cannot be spawned rejects with "failed to start avenor"', async () => {
    await expect(Supervisor.get({ binaryPath: '/nonexistent/avenor' })).rejects.toThrow(
      'failed to start avenor: spawn /nonexistent/avenor ENOENT',
    )
  })

  it('falls back to dialing when the daemon writes no readiness byte', async () => {
    process.env.AVENOR_SIM_NO_READY_FD = '1'
    try {
      const sup = await Supervisor.get()
      expect(typeof (await sup.getClient().status())).toBe('object')
    } finally {
      delete process.env.AVENOR_SIM_NO_READY_FD
    }
  })

  it('a crashed daemon is reported by getClient() and replaced by the next get()', async () => {
    const sup = await Supervisor.get()
    const client = sup.getClient()
    await client.spawn({ prompt: 'crash-daemon 3' }).catch(() => undefined)
    await expect.poll(() => client.isClosed()).toBe(true)
    await expect.poll(() => {
      try {
        sup.getClient()
        return ''
      } catch (e) {
        return (e as Error).message
      }
    }).toBe('avenor supervisor crashed (exit code 3). Call avenor_shutdown to clean up and retry.')
    const next = await Supervisor.get()
    expect(next).not.toBe(sup)
    expect(typeof (await next.getClient().status())).toBe('object')
  })

  it('drains a chatty daemon\'s output, so a full pipe never blocks its startup', async () => {
    // 2 MB on each stream before the daemon starts: far beyond a pipe's 64 KiB.
    const chatty = script(home.home, 'chatty.sh', `head -c 2000000 /dev/zero | tr '\\0' x; head -c 2000000 /dev/zero | tr '\\0' y >&2; exec ${simBinary()} "$@"`)
    const sup = await Supervisor.get({ binaryPath: chatty })
    expect(typeof (await sup.getClient().status())).toBe('object')
  })

  it('close({ skipShutdown: true }) still stops the daemon and removes the socket', async () => {
    const sup = await Supervisor.get()
    await sup.close({ skipShutdown: true })
    expect(existsSync(sup.supervisorId)).toBe(false)
  })
})

describe('findAvenorBinary', () => {
  it('returns an executable AVENOR_BIN and refuses a missing one', () => {
    expect(findAvenorBinary()).toBe(simBinary())
    const saved = process.env.AVENOR_BIN
    process.env.AVENOR_BIN = '/tmp/nonexistent-avenor-xyz123'
    try {
      expect(() => findAvenorBinary()).toThrow('AVENOR_BIN path not executable: /tmp/nonexistent-avenor-xyz123')
    } finally {
      process.env.AVENOR_BIN = saved
    }
  })
})
