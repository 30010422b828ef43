// Spawn selection and thinking policy (core-spec §13), driven by the JSON
// conformance tables in __test__/data (shared with the Rust tests).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as core from '@dougbots/avenor-core'

const data = (name: string) => JSON.parse(readFileSync(join(__dirname, 'data', name), 'utf8'))
const selection = data('spawn_selection.conformance.json') as Array<{ name: string; input: unknown; rosterConfigured?: boolean; valid: boolean; error?: string }>
const thinking = data('thinking_policy.conformance.json') as {
  levels: string[]
  policy: Array<{ backend: string; value: string; resume: boolean; outcome: string }>
  validators: Array<{ name: string; fn: string; backend?: string; value?: unknown; valid: boolean; error?: string }>
}

describe('validateSpawnSelection', () => {
  for (const c of selection) {
    it(c.name, () => {
      const call = () => ('rosterConfigured' in c ? core.validateSpawnSelection(c.input as any, c.rosterConfigured) : core.validateSpawnSelection(c.input as any))
      if (c.valid) expect(call()).toBeUndefined()
      else expect(call).toThrow(c.error!)
    })
  }

  it('throws synchronously with the consumer-visible messages', () => {
    expect(() => core.validateSpawnSelection({ roster_file: 'r.json' })).toThrow('invalid spawn selector: roster_file requires roster_entry')
    expect(() => core.validateSpawnSelection({ roster_entry: 'x', roster_file: 'r', agent: 'a' })).toThrow(
      'invalid spawn selector: direct identity fields are disabled in roster mode',
    )
  })

  it('treats undefined members as absent (the MCP server passes them)', () => {
    expect(() =>
      core.validateSpawnSelection({ agent: undefined, model: 'sonnet', backend: undefined, roster_file: undefined, roster_entry: undefined }),
    ).not.toThrow()
    expect(() => core.validateSpawnSelection(undefined as any)).toThrow('invalid spawn selector: expected an object')
  })
})

describe('thinking policy', () => {
  it('THINKING_LEVELS is a real array in order', () => {
    expect(Array.isArray(core.THINKING_LEVELS)).toBe(true)
    expect(core.THINKING_LEVELS).toEqual(thinking.levels)
    expect(core.THINKING_LEVELS).toEqual(['off', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'])
    expect(core.isThinkingLevel('xhigh')).toBe(true)
    expect(core.isThinkingLevel('HIGH')).toBe(false)
    expect(core.isThinkingLevel(3)).toBe(false)
  })

  for (const c of thinking.policy) {
    it(`evaluateThinkingPolicy(${c.backend}, ${JSON.stringify(c.value)}, ${c.resume}) = ${c.outcome}`, () => {
      expect(core.evaluateThinkingPolicy(c.backend, c.value, c.resume)).toBe(c.outcome)
    })
  }

  for (const c of thinking.validators) {
    it(`${c.fn}: ${c.name}`, () => {
      const fn = (core as any)[c.fn] as (...a: unknown[]) => void
      const args = c.fn === 'validateThinking' ? ('value' in c ? [c.value] : []) : [c.backend, ...('value' in c ? [c.value] : [])]
      if (c.valid) expect(fn(...args)).toBeUndefined()
      else expect(() => fn(...args)).toThrow(c.error!)
    })
  }
})
