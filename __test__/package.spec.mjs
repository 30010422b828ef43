// The package as a user installs it: `npm pack` of the root and of this host's
// platform package, installed into a fresh project outside the checkout with
// no Rust on PATH and no network, then loaded by `require`, `import` and Bun,
// each making one real call to the avenor-sim that the platform package ships.
// Without the platform package, loading fails with an error that says what to do.
//
// The platform package is staged from this checkout's build (`npm run build`),
// or, with AVENOR_PACKAGE_PREBUILT=1 (CI, after `npm run build:targets`), from
// the cross-built npm/<platform>/ binaries that a release publishes.
import test from 'ava'
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const TRIPLES = {
  'linux-x64-gnu': 'x86_64-unknown-linux-gnu',
  'linux-arm64-gnu': 'aarch64-unknown-linux-gnu',
  'linux-x64-musl': 'x86_64-unknown-linux-musl',
  'linux-arm64-musl': 'aarch64-unknown-linux-musl',
  'darwin-x64': 'x86_64-apple-darwin',
  'darwin-arm64': 'aarch64-apple-darwin',
}
const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl') : ''
const suffix = [`${process.platform}-${process.arch}${libc}`].find((s) => s in TRIPLES)
const platformPackage = `@dougbots/avenor-core-${suffix}`
const work = mkdtempSync(join(tmpdir(), 'avenor-package-'))
test.after.always(() => rmSync(work, { recursive: true, force: true }))

/** Runs a child with a hard deadline; resolves with its exit code and output. */
function run(cmd, args, options, deadlineMs = 60_000) {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...options, timeout: deadlineMs, killSignal: 'SIGKILL', maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? (error.killed ? 'killed' : error.code) : 0, stdout, stderr })
    })
  })
}

// A PATH holding only node, npm, sh and bun: no cargo or rustc anywhere.
const bin = join(work, 'bin')
mkdirSync(bin)
symlinkSync(process.execPath, join(bin, 'node'))
symlinkSync('/bin/sh', join(bin, 'sh'))
const npmCli = [join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'), join(dirname(process.execPath), 'npm')]
  .filter(existsSync)
  .map((p) => realpathSync(p))[0]
symlinkSync(npmCli, join(bin, 'npm'))
symlinkSync(realpathSync(join(root, 'node_modules', '.bin', 'bun')), join(bin, 'bun'))
const env = {
  PATH: bin,
  HOME: join(work, 'home'),
  npm_config_cache: join(work, 'npm-cache'),
  AVENOR_SKIP_DOWNLOAD: '1',
  TMPDIR: tmpdir(),
}
mkdirSync(env.HOME)

const addonName = `avenor-core.${suffix}.node`

/** Stages the platform package and packs both; resolves with the two tarballs. */
async function packTarballs() {
  const stage = join(work, 'stage', suffix)
  mkdirSync(stage, { recursive: true })
  for (const file of ['package.json', 'README.md']) copyFileSync(join(root, 'npm', suffix, file), join(stage, file))
  const prebuilt = process.env.AVENOR_PACKAGE_PREBUILT === '1'
  const addon = prebuilt ? join(root, 'npm', suffix, addonName) : join(root, addonName)
  const sim = prebuilt
    ? join(root, 'npm', suffix, 'avenor-sim')
    : (['release', 'debug'].map((p) => join(root, 'target', p, 'avenor-sim')).find(existsSync) ?? 'target/release/avenor-sim')
  for (const p of [addon, sim]) if (!existsSync(p)) throw new Error(`${p} is missing: run ${prebuilt ? 'npm run build:targets' : 'npm run build'}`)
  cpSync(addon, join(stage, addonName))
  cpSync(sim, join(stage, 'avenor-sim'))
  const out = join(work, 'tarballs')
  mkdirSync(out)
  await pack(root, out)
  await pack(stage, out)
  return {
    rootTarball: join(out, `dougbots-avenor-core-${manifest.version}.tgz`),
    platformTarball: join(out, `dougbots-avenor-core-${suffix}-${manifest.version}.tgz`),
  }
}

async function pack(dir, out) {
  const r = await run('npm', ['pack', '--pack-destination', out], { cwd: dir, env })
  if (r.code !== 0) throw new Error(`npm pack in ${dir} failed: ${r.stderr}`)
}

const tarballs = suffix ? packTarballs() : null

/** A fresh project that installed `specs` with npm, offline. */
async function project(name, specs, extraFlags = []) {
  const dir = join(work, name)
  mkdirSync(dir)
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }))
  for (const file of readdirSync(join(root, '__test__', 'fixtures', 'installed'))) {
    copyFileSync(join(root, '__test__', 'fixtures', 'installed', file), join(dir, file))
  }
  const r = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', ...extraFlags, ...specs], { cwd: dir, env }, 120_000)
  if (r.code !== 0) throw new Error(`npm install failed (${r.code}): ${r.stderr}`)
  return dir
}

const installed = suffix ? tarballs.then((t) => project('app', [t.rootTarball, t.platformTarball])) : null

if (!suffix) {
  test('no platform package is built for this host', (t) => t.pass())
} else {
  test('the root tarball carries no native binary and the platform tarball carries the addon and avenor-sim', async (t) => {
    const { rootTarball, platformTarball } = await tarballs
    const list = async (file) => (await run('tar', ['tzf', file], { env: { PATH: '/usr/bin:/bin' } })).stdout.trim().split('\n').sort()
    const rootFiles = await list(rootTarball)
    t.false(rootFiles.some((f) => f.endsWith('.node')), rootFiles.join(' '))
    t.true(rootFiles.includes('package/binding.js'))
    t.true(rootFiles.includes('package/index.d.ts'))
    t.deepEqual(await list(platformTarball), ['package/README.md', `package/avenor-core.${suffix}.node`, 'package/avenor-sim', 'package/package.json'].sort())
  })

  test('the project has no Rust on PATH', async (t) => {
    const r = await run('sh', ['-c', 'command -v cargo || command -v rustc || echo none'], { env })
    t.is(r.stdout.trim(), 'none')
  })

  test('the platform package is installed as the optional dependency, next to a root without .node files', async (t) => {
    const dir = await installed
    const rootDir = join(dir, 'node_modules', '@dougbots', 'avenor-core')
    t.false(readdirSync(rootDir).some((f) => f.endsWith('.node')))
    const platformDir = join(dir, 'node_modules', '@dougbots', `avenor-core-${suffix}`)
    t.true(existsSync(join(platformDir, `avenor-core.${suffix}.node`)))
  })

  for (const [label, cmd, script] of [
    ['require (CJS)', 'node', 'smoke.cjs'],
    ['import (ESM)', 'node', 'smoke.mjs'],
    ['Bun', 'bun', 'smoke.mjs'],
  ]) {
    test(`${label}: loads the installed package and makes a real call to the shipped avenor-sim`, async (t) => {
      const dir = await installed
      const r = await run(cmd, [script], { cwd: dir, env })
      t.is(r.code, 0, r.stderr)
      const result = JSON.parse(r.stdout)
      t.is(result.simulator, join(realpathSync(dir), 'node_modules', '@dougbots', `avenor-core-${suffix}`, 'avenor-sim'))
      t.like(result, { status: 'done', output: 'installed ok', shutdown: true })
    })
  }

  for (const [label, flags] of [
    ['--omit=optional', ['--omit=optional']],
    ['a missing platform package', []],
  ]) {
    test(`with ${label}, loading names the platform, the package and what to do`, async (t) => {
      const { rootTarball } = await tarballs
      const dir = await project(`app-${flags.length ? 'omit' : 'missing'}`, [rootTarball], flags)
      t.false(existsSync(join(dir, 'node_modules', '@dougbots', `avenor-core-${suffix}`)))
      for (const [cmd, args] of [
        ['node', ['load-error.cjs']],
        ['bun', ['load-error.cjs']],
      ]) {
        const r = await run(cmd, args, { cwd: dir, env })
        t.is(r.code, 0, r.stderr)
        const result = JSON.parse(r.stdout)
        t.false(result.loaded)
        t.is(result.code, 'AVENOR_CORE_BINDING_NOT_FOUND')
        t.true(result.hasCause)
        t.true(result.message.includes(`(${TRIPLES[suffix]})`), result.message)
        t.true(result.message.includes(`${platformPackage}@${manifest.version}`), result.message)
        t.true(result.message.includes(`npm install ${platformPackage}@${manifest.version}`), result.message)
        t.true(result.message.includes('build from source'), result.message)
        t.false(/npm has a bug/i.test(result.message), result.message)
      }
      const esm = await run('node', ['--input-type=module', '-e', "import('@dougbots/avenor-core').catch((e) => { console.log(e.message); process.exit(3) })"], { cwd: dir, env })
      t.is(esm.code, 3)
      t.true(esm.stdout.includes(platformPackage), esm.stdout)
    })
  }
}

if (suffix) {
  test('a platform package whose binary cannot be loaded is named as installed but unloadable', async (t) => {
    const { rootTarball } = await tarballs
    const stage = join(work, 'stage-broken', suffix)
    mkdirSync(stage, { recursive: true })
    for (const file of ['package.json', 'README.md']) copyFileSync(join(root, 'npm', suffix, file), join(stage, file))
    writeFileSync(join(stage, addonName), 'not a shared object')
    writeFileSync(join(stage, 'avenor-sim'), '#!/bin/sh\nexit 1\n', { mode: 0o755 })
    const out = join(work, 'tarballs-broken')
    mkdirSync(out)
    await pack(stage, out)
    const dir = await project('app-broken', [rootTarball, join(out, `dougbots-avenor-core-${suffix}-${manifest.version}.tgz`)])
    const r = await run('node', ['load-error.cjs'], { cwd: dir, env })
    const result = JSON.parse(r.stdout)
    t.false(result.loaded)
    t.true(result.message.includes(`the binary for ${TRIPLES[suffix]} in ${platformPackage} is installed but could not be loaded`), result.message)
    t.true(result.message.includes(`Reinstall ${platformPackage}@${manifest.version}`), result.message)
  })
}
