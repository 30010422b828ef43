// findAvenorBinary and install paths (core-spec §5.6, §16; §18 case 38, 40 getVersion).
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, it } from 'vitest'
import { findAvenorBinary, getInstallDir, getVersion, installerBinaryPath, socketsRoot } from '@dougbots/avenor-core'
import { script } from './helpers/sim'

const saved = { ...process.env }
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
})

it('falls back to the installer binary when AVENOR_BIN is unset and PATH has none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'avenor-install-'))
  try {
    delete process.env.AVENOR_BIN
    process.env.PATH = join(dir, 'empty-path')
    process.env.AVENOR_INSTALL_DIR = dir
    process.env.HOME = join(dir, 'home')
    expect(() => findAvenorBinary()).toThrow(
      "avenor binary not found. Set AVENOR_BIN=/path/to/avenor or ensure 'avenor' is on PATH.",
    )
    const bin = script(dir, 'avenor', 'exit 0')
    expect(findAvenorBinary()).toBe(bin)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

it('prefers avenor on PATH over the installer binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'avenor-path-'))
  try {
    delete process.env.AVENOR_BIN
    const onPath = script(dir, 'avenor', 'exit 0')
    process.env.PATH = dir
    process.env.AVENOR_INSTALL_DIR = join(dir, 'none')
    expect(findAvenorBinary()).toBe(onPath)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

it('installer paths follow AVENOR_INSTALL_DIR and AVENOR_VERSION', () => {
  process.env.AVENOR_INSTALL_DIR = '/opt/avenor/bin'
  expect(installerBinaryPath()).toBe('/opt/avenor/bin/avenor')
  delete process.env.AVENOR_INSTALL_DIR
  process.env.AVENOR_VERSION = '2.3.4'
  expect(installerBinaryPath()).toBe(join(homedir(), '.cache/avenor/bin/avenor/2.3.4/avenor'))
  expect(getInstallDir('1.0.0')).toBe(join(homedir(), '.cache/avenor/bin/avenor/1.0.0'))
})

it('getVersion validates its sources', () => {
  process.env.AVENOR_VERSION = '../../../etc/passwd'
  expect(() => getVersion()).toThrow('Invalid AVENOR_VERSION: ../../../etc/passwd. Must be a semver string like 1.2.3')
  delete process.env.AVENOR_VERSION
  process.env.npm_package_version = '1.2'
  expect(() => getVersion()).toThrow('Invalid npm_package_version: 1.2')
  delete process.env.npm_package_version
  expect(getVersion()).toBe('0.9.0')
})

it('socketsRoot only returns the path: it creates nothing', () => {
  const parent = mkdtempSync(join(tmpdir(), 'avenor-home-'))
  try {
    const home = join(parent, 'not-yet')
    process.env.AVENOR_HOME = home
    expect(socketsRoot()).toBe(join(home, 'sockets'))
    expect(existsSync(home)).toBe(false)
  } finally {
    rmSync(parent, { recursive: true, force: true })
  }
})

it('socketsRoot is <AVENOR_HOME>/sockets', () => {
  const home = mkdtempSync(join(tmpdir(), 'avenor-home-'))
  try {
    process.env.AVENOR_HOME = home
    expect(socketsRoot()).toBe(join(home, 'sockets'))
    process.env.AVENOR_HOME = ''
    process.env.HOME = home
    expect(socketsRoot()).toBe(join(home, '.avenor', 'sockets'))
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
})
