/**
 * The TypeScript examples of the README and docs/, as a reader pastes them: each ```ts block is a
 * file, type-checked strictly against the built package. A block that is only a piece of an object
 * (an option's shape, a result's fields) says so with ```ts fragment and is not checked.
 */

export interface CodeBlock {
  /** The line of the block's first line of code. */
  line: number
  code: string
}

const FENCE = /^(\s*)(```|~~~)\s*([\w-]*)\s*(.*)$/

/** The ```ts blocks of a Markdown file that are whole code (not marked `fragment`). */
export function typescriptBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = []
  const lines = markdown.split('\n')
  let open: { fence: string; checked: boolean; line: number; code: string[] } | undefined
  lines.forEach((text, index) => {
    const fence = FENCE.exec(text)
    if (!open) {
      if (!fence) return
      const [, , mark, lang, rest] = fence
      const checked = (lang === 'ts' || lang === 'typescript') && !/\bfragment\b/.test(rest ?? '')
      open = { fence: mark!, checked, line: index + 2, code: [] }
    } else if (fence && fence[2] === open.fence && fence[3] === '') {
      if (open.checked) blocks.push({ line: open.line, code: open.code.join('\n') })
      open = undefined
    } else open.code.push(text)
  })
  return blocks
}

/**
 * What a page's examples use without defining: an agent and a task made earlier, the names a
 * block before imported, the tools of an earlier example. Each is declared with Baton's own type,
 * so a block still fails when it uses them wrongly.
 */
export const PRELUDE = `import type { Agent, RunResult, Tool } from 'baton'
import type { McpTools } from 'baton/mcp'
import type { EvalReport } from 'baton/eval'
import type { Tracer } from '@opentelemetry/api'

declare global {
  const agent: Agent
  const lead: Agent
  const analyst: Agent
  const task: string
  const model: string
  const search: Tool
  const divide: Tool
  const calculate: Tool
  const summarize: Tool
  const fs: McpTools
  const server: { command: string; args: string[] }
  const report: EvalReport
  const previous: RunResult
  const tracing: { tracer: Tracer }
  const clientId: string
  const clientSecret: string
  function askTheUser(question: string): Promise<string | undefined>
  function idJagFor(audience: string, resource: string | undefined): Promise<string>
  const defineAgent: typeof import('baton').defineAgent
  const defineTool: typeof import('baton').defineTool
  const run: typeof import('baton').run
  const stream: typeof import('baton').stream
  const resume: typeof import('baton').resume
  const fallback: typeof import('baton').fallback
  const httpFetch: typeof import('baton/tools').httpFetch
  const mcpTools: typeof import('baton/mcp').mcpTools
  const includes: typeof import('baton/eval').includes
}
export {}

`
