import type { BatonEvent } from '../events/index.js'
import type { RunResult } from '../run/index.js'

const depthOf = (path: string): number => (path.match(/agent:/g) ?? []).length

/** One plain line per interesting event, indented by sub-agent depth. */
export function formatEvent(event: BatonEvent): string | undefined {
  const indent = '  '.repeat(depthOf(event.path))
  switch (event.type) {
    case 'agent.start':
      return `${indent}▸ ${event.agent} (${event.model})${typeof event.task === 'string' && event.path !== 'root' ? `: ${clip(event.task)}` : ''}`
    case 'tool.call':
      return `${indent}  → ${event.name} ${clip(JSON.stringify(event.args))}`
    case 'tool.result':
      return event.isError
        ? `${indent}  ✗ ${event.name}: ${clip(event.content)}`
        : `${indent}  ← ${event.name}: ${clip(event.content)}`
    case 'model.response': {
      const { inputTokens, outputTokens } = event.usage
      return `${indent}  · model ${event.finishReason} (${inputTokens}+${outputTokens} tokens, $${event.costUsd.toFixed(4)})`
    }
    case 'goal.check':
      return event.passed ? undefined : `${indent}  ↺ ${event.check} not met: ${clip(event.feedback ?? '')}`
    case 'budget.exceeded':
      return `${indent}  ■ budget: ${event.limit} reached at ${event.at} (${event.used} of ${event.max})`
    case 'budget.warning':
    case 'stall.warning':
      return `${indent}  ! ${event.message}`
    case 'agent.end':
      return `${indent}■ ${event.agent} ${event.status}${event.status === 'done' ? '' : ` (${event.stopReason})`}`
    default:
      return undefined
  }
}

export function formatResult(result: RunResult): string {
  const { usage } = result
  const output = typeof result.output === 'string' ? result.output : JSON.stringify(result.output, null, 2)
  const lines = [
    '',
    `status: ${result.status} (${result.stopReason})`,
    ...(result.error && result.status !== 'done' ? [`error: ${result.error.message}`] : []),
    `usage: ${usage.steps} model calls, ${usage.toolCalls} tool calls, ${usage.inputTokens}+${usage.outputTokens} tokens, $${usage.costUsd.toFixed(4)}, ${usage.wallMs} ms`,
    ...(result.transcript ? [`transcript: ${result.transcript}`] : []),
    ...(output === undefined ? [] : ['', output]),
  ]
  return lines.join('\n')
}

function clip(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ')
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
