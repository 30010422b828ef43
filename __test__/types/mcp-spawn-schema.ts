// The MCP server's patterns (consumers.md §2): `thinking: z.enum(THINKING_LEVELS)`
// and the older `enum([...THINKING_LEVELS])`, whose parsed value is passed on as
// `thinking` to spawnTool.
import { THINKING_LEVELS, spawnTool } from '@dougbots/avenor-core'
import type { ThinkingLevel } from '@dougbots/avenor-core'
import { expectType, type Equal } from './helpers'

/** zod 4's `z.enum` signature, reduced to what inference needs. */
declare function zEnum<const T extends readonly [string, ...string[]]>(values: T): T[number]

const thinking = zEnum(THINKING_LEVELS)
expectType<Equal<typeof thinking, ThinkingLevel>>()
const spread = zEnum([...THINKING_LEVELS])
expectType<Equal<typeof spread, ThinkingLevel>>()

export async function spawnWithThinking(prompt: string) {
  await spawnTool({ prompt, thinking })
  return spawnTool({ prompt, thinking: spread })
}

// Still a real array at run time (the JSON schema lists it in this order).
const first: 'off' = THINKING_LEVELS[0]
const count: 7 = THINKING_LEVELS.length
export { first, count }
