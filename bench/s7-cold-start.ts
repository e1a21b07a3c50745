/**
 * S7: cold start, each sample in a fresh `node` process started from the project directory:
 *
 * - `help`: the wall time of `node dist/cli/main.js --help` (the whole process, as a user waits);
 * - `importIn`: `import('baton')` timed inside the process with performance.now();
 * - `importWall`: the wall time of that whole process (`node --input-type=module -e …`);
 * - `bare`: `node -e 0`, the floor any of them pays on this machine, for scale.
 *
 * The kinds alternate round by round, so drift hits them alike. Every process is checked: exit 0,
 * the usage text printed, the library's exports imported.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { type MeasureOptions, now, type Samples } from './lib.js'

/** What the import process runs: the time of `import('baton')`, measured inside it. */
const IMPORT_SCRIPT = [
  'const t0 = performance.now()',
  "const baton = await import('baton')",
  'const ms = performance.now() - t0',
  "if (typeof baton.run !== 'function' || typeof baton.defineAgent !== 'function') process.exit(3)",
  'process.stdout.write(String(ms))',
].join('\n')

export interface ColdStartOptions extends MeasureOptions {
  /** Write a `.cpuprofile` of every measured process there (timings then inflated). */
  cpuProfDir?: string
}

export async function measure({ warmup = 3, rounds = 15, cpuProfDir }: ColdStartOptions): Promise<Samples> {
  // bench/run.ts starts this process in bench/; the project is its parent.
  const root = resolve(process.cwd(), '..')
  const main = join(root, 'dist', 'cli', 'main.js')
  const name = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string }).name
  if (name !== 'baton' || !existsSync(main)) throw new Error(`S7: no built baton CLI at ${main}`)

  // Nothing from the environment may change what starts (a loader in NODE_OPTIONS, say).
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' }
  delete env.NODE_OPTIONS
  const profile = (kind: string): string[] => {
    if (!cpuProfDir) return []
    mkdirSync(join(cpuProfDir, kind), { recursive: true })
    return ['--cpu-prof', `--cpu-prof-dir=${join(cpuProfDir, kind)}`]
  }

  /** Runs `node …args` to its end: its wall time in ms and its stdout, checked. */
  const time = (kind: string, args: string[]): { ms: number; stdout: string } => {
    const t0 = now()
    const child = spawnSync(process.execPath, [...profile(kind), ...args], {
      cwd: root,
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const ms = now() - t0
    if (child.status !== 0)
      throw new Error(`S7 ${kind}: node ${args.join(' ')} exited with ${child.status}: ${child.stderr}`)
    return { ms, stdout: child.stdout }
  }

  const samples: Samples = { help: [], importIn: [], importWall: [], bare: [] }
  for (let round = -warmup; round < rounds; round++) {
    const bare = time('bare', ['-e', '0'])
    const help = time('help', [main, '--help'])
    if (!help.stdout.includes('baton run <agent-module>[#export] "<task>"'))
      throw new Error(`S7 help: baton --help printed no usage:\n${help.stdout}`)
    const imported = time('import', ['--input-type=module', '-e', IMPORT_SCRIPT])
    const inside = Number(imported.stdout)
    if (!(inside > 0))
      throw new Error(`S7 import: expected the import time, got ${JSON.stringify(imported.stdout)}`)
    if (round < 0) continue
    samples.bare!.push(bare.ms)
    samples.help!.push(help.ms)
    samples.importIn!.push(inside)
    samples.importWall!.push(imported.ms)
  }
  return samples
}
