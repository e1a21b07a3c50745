import { describe, expect, it } from 'vitest'
import { UsageError } from './args.js'
import { parseRunsArgs } from './runs-args.js'

const db = ['--database', 'postgresql://127.0.0.1/baton']

describe('baton runs prune', () => {
  it('takes --older-than in seconds, minutes, hours or days, and --limit and --json', () => {
    expect(parseRunsArgs(['prune', '--older-than', '30d', ...db])).toMatchObject({
      action: 'prune',
      olderThanMs: 30 * 86_400_000,
      limitGiven: false,
    })
    expect(parseRunsArgs(['prune', '--older-than', '12h', '--limit', '5', '--json', ...db])).toMatchObject({
      olderThanMs: 12 * 3_600_000,
      limit: 5,
      limitGiven: true,
      json: true,
    })
    expect(parseRunsArgs(['prune', '--older-than', '90m', ...db]).olderThanMs).toBe(90 * 60_000)
    expect(parseRunsArgs(['prune', '--older-than', '0s', ...db]).olderThanMs).toBe(0)
  })

  it('refuses a prune without --older-than, a duration it cannot read, a run id, or --older-than elsewhere', () => {
    const cases: [string[], RegExp][] = [
      [['prune', ...db], /missing --older-than/],
      [['prune', '--older-than', '30', ...db], /--older-than must be a whole number and a unit/],
      [['prune', '--older-than', '1.5d', ...db], /--older-than must be/],
      [['prune', '--older-than', '-1d', ...db], /--older-than must be/],
      [['prune', '--older-than', '2w', ...db], /--older-than must be/],
      [['prune', 'run-1', '--older-than', '1d', ...db], /too many arguments/],
      [['list', '--older-than', '1d', ...db], /--older-than does not go with "baton runs list"/],
    ]
    for (const [argv, message] of cases) {
      expect(() => parseRunsArgs(argv), argv.join(' ')).toThrow(UsageError)
      expect(() => parseRunsArgs(argv), argv.join(' ')).toThrow(message)
    }
  })
})
