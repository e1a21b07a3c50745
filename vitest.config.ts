import { defineConfig } from 'vitest/config'

/**
 * Test files that start processes, a browser or real servers. They run after the fast in-process
 * tests, with timeouts sized for a busy machine: every wait inside them (a child's `timeout`, a
 * server's start-up deadline) stays well under E2E_TIMEOUT_MS so a hang fails with its own message.
 */
export const e2eFiles = [
  'test/cli-flags.test.ts',
  'test/cli.test.ts',
  'test/crash.test.ts',
  'test/durable-branches.test.ts',
  'test/durable-approvals.test.ts',
  'test/durable-crash.test.ts',
  'test/durable-limits.test.ts',
  'test/durable-otel.test.ts',
  'test/durable-plans.test.ts',
  'test/durable.test.ts',
  'test/durable-hostile.test.ts',
  'test/durable-outage.test.ts',
  'test/durable-slot-lease.test.ts',
  'test/durable-prune.test.ts',
  'test/docs-code.test.ts',
  'test/worker-cli.test.ts',
  'test/runs-cli.test.ts',
  'test/eval-cli.test.ts',
  'test/examples.test.ts',
  'test/first-run.test.ts',
  'test/live-tree.test.ts',
  'test/load-agent.test.ts',
  'test/mcp-auth.test.ts',
  'test/mcp-conformance.test.ts',
  'test/mcp-requests.test.ts',
  'test/mcp.test.ts',
  'test/otel-cli.test.ts',
  'test/otel-otlp.test.ts',
  'test/package-install.test.ts',
  'test/package-tarball.test.ts',
  'test/package.test.ts',
  'test/providers/rate-limits.test.ts',
  'test/providers/real-socket.test.ts',
  'test/providers/replay-cli-config.test.ts',
  'test/replay-cli.test.ts',
  'test/replay-trust.test.ts',
  'test/sse-http.test.ts',
  'test/transcript-write-failure.test.ts',
  'test/view-browser.test.ts',
  'test/view-hostile-browser.test.ts',
  'test/view.test.ts',
  'tools/http-fetch.test.ts',
  'tools/http-hostile.test.ts',
  'tools/http-pinning.test.ts',
  'tools/run.test.ts',
  'tools/workspace-hostile.test.ts',
]

export const E2E_TIMEOUT_MS = 180_000

export default defineConfig({
  test: {
    // Every run the suite records checks that its transcript folds back to its result (and the
    // CLI runs the tests start inherit it).
    env: { BATON_CHECK_FOLD: '1' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'tools/**/*.test.ts', 'agents/**/*.test.ts'],
          exclude: e2eFiles,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: e2eFiles,
          testTimeout: E2E_TIMEOUT_MS,
          hookTimeout: E2E_TIMEOUT_MS,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
