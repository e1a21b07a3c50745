import type { ToolContext } from '../src/index.js'

/** A tool context for calling a tool's `run` directly; what the tool reports goes to `progress`. */
export function toolContext(signal = new AbortController().signal, progress: unknown[] = []): ToolContext {
  return {
    signal,
    path: 'root',
    step: 'root/1/tool/c1',
    callId: 'c1',
    memory: {} as ToolContext['memory'],
    progress: (data) => progress.push(data),
  }
}
