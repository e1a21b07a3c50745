/**
 * The order a run's events carry: `seq` counts the recorded events 0, 1, 2, … and `t` never
 * goes back, whatever the clock does. A wall clock can be set back while a run goes on (NTP, a
 * laptop waking up, a VM migrated), and a reader that sorts or draws a timeline from `t` must
 * not see time run backwards nor a negative time.
 */
import { describe, expect, it } from 'vitest'
import { type BatonEvent, type Clock, defineAgent, defineTool, stream } from '../src/index.js'
import { fakeClock, scriptedModel } from '../src/testing/index.js'
import { isDelta } from './helpers.js'

/** A fake clock whose reading can be set back, as a system clock can be. */
function settableClock() {
  const clock = fakeClock(1_700_000_000_000)
  let offset = 0
  const settable: Clock & { setBack(ms: number): void; advance(ms: number): void } = {
    now: () => clock.now() + offset,
    setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
    setBack: (ms) => {
      offset -= ms
    },
    advance: (ms) => clock.advance(ms),
  }
  return settable
}

describe('the order of a run’s events', () => {
  it('keeps t from going back when the clock is set back mid-run, sub-agents included', async () => {
    const clock = settableClock()
    const adjust = defineTool({
      name: 'adjust',
      description: 'the clock is set back an hour while it runs',
      input: { type: 'object', properties: {} },
      run: () => {
        clock.advance(1_000)
        clock.setBack(3_600_000)
        return 'adjusted'
      },
    })
    const helper = defineAgent({
      name: 'helper',
      description: 'helps',
      instructions: 'x',
      tools: [adjust],
      model: scriptedModel([{ toolCalls: [{ name: 'adjust', args: {} }] }, { text: 'helped' }]),
    })
    const lead = defineAgent({
      name: 'lead',
      instructions: 'x',
      agents: [helper],
      tools: [adjust],
      model: scriptedModel([
        {
          toolCalls: [
            { name: 'delegate_helper', args: { task: 'help' } },
            { name: 'adjust', args: {} },
          ],
        },
        { text: 'done' },
      ]),
    })
    const events: BatonEvent[] = []
    const run = stream(lead, 'go', { clock })
    for await (const event of run) events.push(event)
    expect((await run.result).status).toBe('done')
    const recorded = events.filter((event) => !isDelta(event))
    expect(recorded.map((event) => event.seq)).toEqual(recorded.map((_, i) => i))
    for (const [i, event] of events.entries()) {
      expect(event.t).toBeGreaterThanOrEqual(0)
      if (i > 0) expect(event.t).toBeGreaterThanOrEqual(events[i - 1]!.t!)
    }
    // The run took the second the tools spent, not minus two hours.
    const end = events.at(-1)
    expect(end?.type === 'run.end' && end.usage.wallMs).toBeGreaterThanOrEqual(end!.t!)
  })
})
