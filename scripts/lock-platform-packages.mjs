// `npm run lock:platforms`: records the six platform packages in package-lock.json.
// They are optionalDependencies of the root (what a user installs), but until a
// release publishes them the registry has none, so `npm install` leaves them out
// of the lockfile, and then `npm ci` refuses a package.json and lockfile "out of
// sync". An entry with the version and the platform fields (os, cpu, libc, from
// npm/<platform>/package.json) is what npm writes for a skipped optional package;
// `npm ci` accepts it and skips the package. Run after `npm install`; `--check`
// only reports (CI).
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const read = (p) => JSON.parse(readFileSync(join(root, p), 'utf8'))
const manifest = read('package.json')
const lock = read('package-lock.json')
const check = process.argv.includes('--check')
let changed = 0
for (const [name, version] of Object.entries(manifest.optionalDependencies ?? {})) {
  const suffix = name.slice(`${manifest.name}-`.length)
  const platform = read(join('npm', suffix, 'package.json'))
  if (platform.name !== name || platform.version !== version) {
    console.error(`lock:platforms: npm/${suffix}/package.json is ${platform.name}@${platform.version}, root wants ${name}@${version}`)
    process.exit(1)
  }
  const entry = { version, optional: true, os: platform.os, cpu: platform.cpu }
  if (platform.libc) entry.libc = platform.libc
  if (platform.engines) entry.engines = platform.engines
  const key = `node_modules/${name}`
  const current = lock.packages[key]
  if (!current || current.resolved === undefined) {
    if (JSON.stringify(current) !== JSON.stringify(entry)) {
      lock.packages[key] = entry
      changed++
    }
  }
}
if (check) {
  if (changed) {
    console.error(`lock:platforms: ${changed} platform package(s) missing from package-lock.json: run npm run lock:platforms`)
    process.exit(1)
  }
} else if (changed) {
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)))
  writeFileSync(join(root, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`)
}
console.log(`lock:platforms: ${Object.keys(manifest.optionalDependencies ?? {}).length} platform packages, ${changed} entr${changed === 1 ? 'y' : 'ies'} ${check ? 'missing' : 'written'}`)
