import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts', 'agents/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
})
