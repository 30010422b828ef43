// The postinstall entry (core-spec §16, §18 case 40) against a loopback HTTP server
// standing in for the GitHub release, reached through a fetch that rewrites its URLs.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import * as core from '@dougbots/avenor-core'
import {
  getInstallDir,
  getVersion,
  installerBinaryPath,
  parseChecksums,
  platformMapping,
  postinstall,
  verifyChecksum,
} from '@dougbots/avenor-core/postinstall'
import { script } from './helpers/sim'

const root = resolve(__dirname, '..')
const RELEASE = 'https://github.com/sdougbrown/avenor/releases/download/'
const VERSION = '1.2.3'
const ASSET = 'avenor_linux_amd64'
const ASSET_URL = `${RELEASE}v${VERSION}/${ASSET}`
const CHECKSUMS_URL = `${RELEASE}v${VERSION}/checksums.txt`
const BINARY = Buffer.from('#!/bin/sh\necho fake avenor\n\u0000\u00ff')
const SHA = createHash('sha256').update(BINARY).digest('hex')

// What the local server answers, by path under /v<version>/; unknown paths are 404.
let routes: Record<string, string | Buffer> = {}
let server: Server
let base = ''

beforeAll(async () => {
  server = createServer((req, res) => {
    const body = routes[(req.url ?? '').replace(`/v${VERSION}/`, '')]
    res.writeHead(body === undefined ? 404 : 200).end(body ?? 'Not Found')
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
})
afterAll(() => new Promise<void>((done) => server.close(() => done())))

// The injected fetch: records what postinstall asked for, then asks the local server.
let requested: string[] = []
const localFetch = (url: string, init?: RequestInit) => {
  requested.push(url)
  return fetch(url.replace(RELEASE, base), init)
}

const saved = { ...process.env }
let tmp = ''
let installDir = ''
let warnings: string[] = []

beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'avenor-postinstall-'))
  installDir = join(tmp, 'install', 'bin')
  for (const k of ['AVENOR_BIN', 'AVENOR_SKIP_DOWNLOAD', 'npm_package_version']) delete process.env[k]
  process.env.AVENOR_INSTALL_DIR = installDir
  process.env.HOME = join(tmp, 'home')
  process.env.AVENOR_VERSION = VERSION
  // No `avenor` on PATH, so only the download can provide one.
  process.env.PATH = join(tmp, 'empty-path')
  routes = { [ASSET]: BINARY, 'checksums.txt': `${SHA}  ${ASSET}\nfff000  avenor_darwin_arm64\n` }
  requested = []
  warnings = []
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    warnings.push(args.map(String).join(' '))
  })
})

afterEach(() => {
  vi.restoreAllMocks()
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
  rmSync(tmp, { recursive: true, force: true })
})

const installed = () => join(installDir, 'avenor')

describe('postinstall download', () => {
  it('installs the release asset with mode 0755 and the exact bytes', async () => {
    await expect(postinstall(localFetch, 'linux', 'x64')).resolves.toBeUndefined()
    expect(warnings).toEqual([])
    expect(requested).toEqual([ASSET_URL, CHECKSUMS_URL])
    expect(readFileSync(installed())).toEqual(BINARY)
    expect(statSync(installed()).mode & 0o777).toBe(0o755)
    expect(statSync(installDir).mode & 0o777).toBe(0o700)
  })

  it('writes nothing when the checksum does not match', async () => {
    routes['checksums.txt'] = `abc123def456  ${ASSET}\n`
    await postinstall(localFetch, 'linux', 'x64')
    expect(existsSync(installed())).toBe(false)
    expect(warnings).toEqual([
      `[avenor-postinstall] Checksum mismatch for ${ASSET}: expected abc123def456, got ${SHA}. Not installing it`,
    ])
  })

  it('still installs when checksums.txt is missing, with a warning', async () => {
    delete routes['checksums.txt']
    await postinstall(localFetch, 'linux', 'x64')
    expect(readFileSync(installed())).toEqual(BINARY)
    expect(warnings).toEqual([
      `[avenor-postinstall] checksums.txt unavailable, installing ${ASSET} without checksum verification`,
    ])
  })

  it('still installs when checksums.txt does not list the asset, with a warning', async () => {
    routes['checksums.txt'] = 'fff000  avenor_darwin_arm64\n'
    await postinstall(localFetch, 'linux', 'x64')
    expect(readFileSync(installed())).toEqual(BINARY)
    expect(warnings).toEqual([
      `[avenor-postinstall] checksums.txt has no entry for ${ASSET}, installing it without checksum verification`,
    ])
  })

  it('warns and writes nothing when the asset is missing', async () => {
    delete routes[ASSET]
    await postinstall(localFetch, 'linux', 'x64')
    expect(existsSync(installDir)).toBe(false)
    expect(requested).toEqual([ASSET_URL])
    expect(warnings).toEqual([`[avenor-postinstall] Failed to download ${ASSET_URL}: HTTP 404`])
  })

  it('picks the asset for the given platform', async () => {
    routes = { avenor_darwin_arm64: BINARY }
    await postinstall(localFetch, 'darwin', 'arm64')
    expect(requested).toEqual([`${RELEASE}v${VERSION}/avenor_darwin_arm64`, CHECKSUMS_URL])
    expect(readFileSync(installed())).toEqual(BINARY)
  })
})

describe('postinstall skips', () => {
  it('AVENOR_SKIP_DOWNLOAD=1 warns and fetches nothing', async () => {
    process.env.AVENOR_SKIP_DOWNLOAD = '1'
    await postinstall(localFetch, 'linux', 'x64')
    expect(requested).toEqual([])
    expect(warnings).toEqual([
      '[avenor-postinstall] AVENOR_SKIP_DOWNLOAD=1 is set, skipping the avenor binary download',
    ])
  })

  it('an executable AVENOR_BIN skips silently; a non-executable one does not', async () => {
    process.env.AVENOR_BIN = script(tmp, 'my-avenor', 'exit 0')
    await postinstall(localFetch, 'linux', 'x64')
    expect(requested).toEqual([])
    expect(warnings).toEqual([])

    process.env.AVENOR_BIN = join(tmp, 'no-such-avenor')
    await postinstall(localFetch, 'linux', 'x64')
    expect(requested).toEqual([ASSET_URL, CHECKSUMS_URL])
    expect(existsSync(installed())).toBe(true)
  })

  it('an executable avenor on PATH skips silently', async () => {
    const bin = join(tmp, 'bin')
    mkdirSync(bin)
    script(bin, 'avenor', 'exit 0')
    process.env.PATH = bin
    await postinstall(localFetch, 'linux', 'x64')
    expect(requested).toEqual([])
    expect(warnings).toEqual([])
  })

  it('an unsupported platform warns and fetches nothing', async () => {
    await postinstall(localFetch, 'win32', 'x64')
    expect(requested).toEqual([])
    expect(warnings).toEqual(['[avenor-postinstall] Unsupported platform: win32/x64'])
  })

  it('an invalid AVENOR_VERSION warns instead of throwing', async () => {
    process.env.AVENOR_VERSION = '../../../etc/passwd'
    await postinstall(localFetch, 'linux', 'x64')
    expect(requested).toEqual([])
    expect(warnings).toEqual([
      '[avenor-postinstall] Invalid AVENOR_VERSION: ../../../etc/passwd. Must be a semver string like 1.2.3; skipping the avenor binary download',
    ])
  })
})

describe('postinstall never rejects', () => {
  it('when fetch throws or rejects', async () => {
    const throwing = () => {
      throw new Error('boom')
    }
    await expect(postinstall(throwing, 'linux', 'x64')).resolves.toBeUndefined()
    await expect(postinstall(() => Promise.reject(new Error('offline')), 'linux', 'x64')).resolves.toBeUndefined()
    // null, not undefined: undefined would select the real globalThis.fetch.
    await expect(postinstall(null as never, 'linux', 'x64')).resolves.toBeUndefined()
    expect(warnings.slice(0, 2)).toEqual([
      `[avenor-postinstall] Failed to download ${ASSET_URL}: boom`,
      `[avenor-postinstall] Failed to download ${ASSET_URL}: offline`,
    ])
    expect(warnings[2]).toMatch(/^\[avenor-postinstall\] Failed to download .*: .*not a function/)
    expect(existsSync(installDir)).toBe(false)
  })

  it('when fetch never answers: each fetch has a timeout', async () => {
    const hanging = () => new Promise<Response>(() => {})
    await expect(postinstall(hanging, 'linux', 'x64', { timeoutMs: 50 })).resolves.toBeUndefined()
    expect(warnings).toEqual([`[avenor-postinstall] Failed to download ${ASSET_URL}: timed out after 50 ms`])
  })

  it('when checksums.txt never answers, installs after its timeout', async () => {
    const slowChecksums = (url: string, init?: RequestInit) =>
      url.endsWith('checksums.txt') ? new Promise<Response>(() => {}) : localFetch(url, init)
    await postinstall(slowChecksums, 'linux', 'x64', { timeoutMs: 1000 })
    expect(readFileSync(installed())).toEqual(BINARY)
    expect(warnings).toEqual([
      `[avenor-postinstall] checksums.txt unavailable, installing ${ASSET} without checksum verification`,
    ])
  })
})

describe('postinstall helpers (§18 case 40)', () => {
  it('platformMapping', () => {
    expect(platformMapping('darwin', 'arm64')).toBe('avenor_darwin_arm64')
    expect(platformMapping('darwin', 'x64')).toBe('avenor_darwin_amd64')
    expect(platformMapping('linux', 'x64')).toBe('avenor_linux_amd64')
    expect(platformMapping('linux', 'arm64')).toBe('avenor_linux_arm64')
    expect(platformMapping('win32', 'x64')).toBeNull()
  })

  it('parseChecksums and verifyChecksum', () => {
    const text = 'abc123def456  avenor_darwin_arm64\nfff000  avenor_linux_amd64\n'
    expect(parseChecksums(text, 'avenor_darwin_arm64')).toBe('abc123def456')
    expect(parseChecksums(text, 'avenor_windows_amd64')).toBeNull()
    expect(verifyChecksum(BINARY, SHA)).toBe(true)
    expect(verifyChecksum(new Uint8Array(BINARY), SHA.toUpperCase())).toBe(true)
    expect(verifyChecksum(BINARY, 'abc123def456')).toBe(false)
  })

  it('re-exports the install path helpers of the package', () => {
    expect(getInstallDir).toBe(core.getInstallDir)
    expect(getVersion).toBe(core.getVersion)
    expect(installerBinaryPath).toBe(core.installerBinaryPath)
    expect(installerBinaryPath()).toBe(installed())
  })
})

describe('postinstall.js as a script', () => {
  const runNode = (args: string[], env: NodeJS.ProcessEnv, cwd = root) =>
    new Promise<{ code: number | null; stderr: string }>((done) => {
      execFile(process.execPath, args, { cwd, env, timeout: 15_000 }, (error, _stdout, stderr) => {
        done({ code: error ? (error.code as number | null) : 0, stderr })
      })
    })
  const env = () => ({ ...process.env, PATH: join(tmp, 'empty-path') })

  it('exits 0 with AVENOR_SKIP_DOWNLOAD=1', async () => {
    const { code, stderr } = await runNode(['postinstall.js'], { ...env(), AVENOR_SKIP_DOWNLOAD: '1' })
    expect(code).toBe(0)
    expect(stderr).toBe('[avenor-postinstall] AVENOR_SKIP_DOWNLOAD=1 is set, skipping the avenor binary download\n')
  })

  it('exits 0 when the native addon is not built yet', async () => {
    const copy = join(tmp, 'pkg')
    mkdirSync(copy)
    copyFileSync(join(root, 'postinstall.js'), join(copy, 'postinstall.js'))
    for (const file of ['index.js', 'binding.js', 'package.json']) copyFileSync(join(root, file), join(copy, file))
    const { code, stderr } = await runNode(['postinstall.js'], env(), copy)
    expect(code).toBe(0)
    expect(stderr).toMatch(
      /^\[avenor-postinstall\] native addon not loaded, skipping the avenor binary download: @dougbots\/avenor-core: no native binary is installed for this platform .*\n$/,
    )
    expect(existsSync(installDir)).toBe(false)
  })

  it('loads through `import` with named exports', async () => {
    const code = `import * as m from '@dougbots/avenor-core/postinstall'; console.error(Object.keys(m).sort().join(','))`
    const { code: exit, stderr } = await runNode(['--input-type=module', '-e', code], env())
    expect(exit).toBe(0)
    expect(stderr.trim()).toBe(
      'default,getInstallDir,getVersion,installerBinaryPath,parseChecksums,platformMapping,postinstall,verifyChecksum',
    )
  })
})
