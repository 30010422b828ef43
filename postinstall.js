'use strict'
// The `postinstall` entry of @dougbots/avenor-core (core-spec §16). Every decision is
// made by the native addon (planAvenorDownload, installAvenorBinary); this file does
// only what needs JS: the caller's `fetch`, a timeout on each fetch, and printing the
// warnings. It never throws or rejects, and as a script it always exits 0, because a
// failed download must not fail `npm install` (avenor can be found in other ways).

const PREFIX = '[avenor-postinstall]'
const ASSET_TIMEOUT_MS = 300_000
const CHECKSUMS_TIMEOUT_MS = 30_000

// Absent while the addon is not built yet, as during `npm ci` in this repository.
let binding = null
let bindingError = null
try {
  binding = require('./index.js')
} catch (error) {
  bindingError = error
}

function describe(error) {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return 'unknown error'
  }
}

function warn(message) {
  try {
    console.warn(`${PREFIX} ${message}`)
  } catch {
    // Nowhere left to report to; postinstall must still not throw.
  }
}

// A binding function, or one that throws the loader's error when called.
function fromBinding(name) {
  return binding
    ? binding[name]
    : () => {
        throw bindingError
      }
}

// Resolves to { body } or { error }; gives up after `timeoutMs` even when the
// injected fetch ignores the abort signal.
async function fetchBody(fetch, url, kind, timeoutMs) {
  const controller = new AbortController()
  let timer
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => {
      controller.abort()
      resolve({ error: `timed out after ${timeoutMs} ms` })
    }, timeoutMs)
  })
  const attempt = (async () => {
    const response = await fetch(url, { signal: controller.signal })
    if (!response.ok) return { error: `HTTP ${response.status}` }
    const body = kind === 'text' ? await response.text() : new Uint8Array(await response.arrayBuffer())
    return { body }
  })().catch((error) => ({ error: describe(error) }))
  try {
    return await Promise.race([attempt, timedOut])
  } finally {
    clearTimeout(timer)
  }
}

async function run(fetch, platform, arch, timeoutMs) {
  if (!binding) {
    // The loader's message runs over many lines (require stack, causes); one is enough.
    const reason = describe(bindingError).split('\n')[0]
    warn(`native addon not loaded, skipping the avenor binary download: ${reason}`)
    return
  }
  const plan = binding.planAvenorDownload(String(platform), String(arch))
  plan.warnings.forEach(warn)
  const download = plan.download
  if (!download) return
  const asset = await fetchBody(fetch, download.assetUrl, 'bytes', timeoutMs ?? ASSET_TIMEOUT_MS)
  if ('error' in asset) {
    warn(`Failed to download ${download.assetUrl}: ${asset.error}`)
    return
  }
  const checksums = await fetchBody(fetch, download.checksumsUrl, 'text', timeoutMs ?? CHECKSUMS_TIMEOUT_MS)
  const outcome = binding.installAvenorBinary(
    asset.body,
    'error' in checksums ? null : checksums.body,
    download.version,
    download.asset,
  )
  outcome.warnings.forEach(warn)
}

/**
 * Downloads the avenor binary of this package's version into getInstallDir(version),
 * unless one is already available. `options.timeoutMs` (an addition) bounds each fetch;
 * the defaults are 300 s for the binary and 30 s for checksums.txt. Resolves to
 * undefined and never rejects; problems are printed with console.warn.
 */
async function postinstall(fetch = globalThis.fetch, platform = process.platform, arch = process.arch, options = {}) {
  try {
    await run(fetch, platform, arch, options?.timeoutMs)
  } catch (error) {
    warn(`unexpected error: ${describe(error)}`)
  }
}

const platformMapping = fromBinding('platformMapping')
const parseChecksums = fromBinding('parseChecksums')
const verifyChecksum = fromBinding('verifyChecksum')
const getInstallDir = fromBinding('getInstallDir')
const getVersion = fromBinding('getVersion')
const installerBinaryPath = fromBinding('installerBinaryPath')

module.exports = {
  postinstall,
  platformMapping,
  parseChecksums,
  verifyChecksum,
  getInstallDir,
  getVersion,
  installerBinaryPath,
}

/** `npm install` run inside this package's own checkout (development), not as a dependency. */
function isOwnCheckout() {
  return process.env.npm_lifecycle_event === 'postinstall' && process.env.INIT_CWD === process.cwd()
}

if (require.main === module && isOwnCheckout()) {
  // Developing this package: there is no release of the daemon to fetch for it.
} else if (require.main === module) {
  // Whatever happens, `npm install` must not fail because of this script.
  const report = (error) => {
    warn(`unexpected error: ${describe(error)}`)
    process.exitCode = 0
  }
  process.on('uncaughtException', report)
  process.on('unhandledRejection', report)
  postinstall().finally(() => {
    process.exitCode = 0
  })
}
