// The package's runtime exports are exactly the value exports of core-spec §1.1
// plus the documented additions (README), each of the right kind, and Node's ESM
// loader sees every one of them as a named export.
import { execFileSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const core = require('@dougbots/avenor-core')

const workflowTools = ['Status', 'Wait', 'Inspect', 'Events', 'Complete', 'Gate'].map((n) => `workflow${n}Tool`)
const controllerTools = ['Status', 'List', 'Create', 'Enable', 'Disable'].map((n) => `workflowController${n}Tool`)
// workflowReadyTool comes from the parallel 720aab63 line (core-spec §1.1).
const readyTools = ['workflowReadyTool']
const factories = [...workflowTools, ...controllerTools, ...readyTools].map((n) => `create${n[0].toUpperCase()}${n.slice(1)}`)

const original = {
  functions: [
    'dial',
    'findAvenorBinary',
    'spawnTool',
    'statusTool',
    'answerPermissionTool',
    'followUpTool',
    'eventsTool',
    'shutdownTool',
    'getInstallDir',
    'getVersion',
    'installerBinaryPath',
    'resultTool',
    'inspectTool',
    'normalizeRunEvent',
    'extractEventText',
    'createRunSnapshot',
    'reduceRunSnapshot',
    'observeRun',
    'socketsRoot',
    'validateSpawnSelection',
    'evaluateThinkingPolicy',
    'isThinkingLevel',
    'validateThinking',
    'validateThinkingForBackend',
    'validateThinkingForBackendResume',
    ...workflowTools,
    ...controllerTools,
    ...readyTools,
    ...factories,
    'askTool',
    'peersTool',
    'cancelTool',
    'brokerReceiveTool',
    'brokerReplyTool',
  ],
  classes: ['Supervisor', 'RunReducer'],
  constants: ['THINKING_LEVELS', 'DEFAULT_RUN_REDUCER_LIMITS'],
}
const additions = {
  functions: ['platformMapping', 'parseChecksums', 'verifyChecksum', 'planAvenorDownload', 'installAvenorBinary', 'simulatorPath'],
  classes: ['Client', 'EventIterator', 'RunObserver'],
  constants: ['__napiBindingTarget'],
}

const isClass = (v: unknown) => typeof v === 'function' && Object.getOwnPropertyNames((v as Function).prototype ?? {}).length > 1

it('exports exactly the original value exports plus the documented additions', () => {
  const expected = [original, additions].flatMap((g) => [...g.functions, ...g.classes, ...g.constants]).sort()
  expect(Object.keys(core).sort()).toEqual(expected)
})

it('each export has the right kind', () => {
  for (const name of [...original.functions, ...additions.functions]) {
    expect(typeof core[name], name).toBe('function')
    expect(isClass(core[name]), name).toBe(false)
  }
  for (const name of [...original.classes, ...additions.classes]) expect(isClass(core[name]), name).toBe(true)
  expect(Array.isArray(core.THINKING_LEVELS)).toBe(true)
  expect(typeof core.DEFAULT_RUN_REDUCER_LIMITS).toBe('object')
  expect(new core.RunReducer()).toBeInstanceOf(core.RunReducer)
})

it('Node ESM sees every export by name, and importing has no side effects', () => {
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', "import * as m from '@dougbots/avenor-core'; console.log(JSON.stringify(Object.keys(m)))"],
    { cwd: __dirname, env: { ...process.env, AVENOR_BIN: '/nonexistent', PATH: '/nonexistent' } },
  ).toString()
  const names = (JSON.parse(out) as string[]).filter((n) => n !== 'default')
  expect(names.sort()).toEqual(Object.keys(core).sort())
})
