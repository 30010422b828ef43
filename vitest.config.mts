import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['__test__/**/*.test.ts'],
    // napi addons must not run in worker threads (spec/napi.md §4.4).
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
})
