/**
 * `npm run bench`: runs the scenarios S1–S7 against the BUILT library (dist/) and prints one
 * table, then the tables of S8, S9 and S10 (scripts of their own), then the durable-runs table
 * (bench/durable.ts) when PostgreSQL is installed. Every measurement runs in a fresh child process under plain `node` (no tsx loader: it
 * would cost time and ~40 MB of RSS): each scenario file is bundled with esbuild, its imports of
 * dist/ and of packages left as they are, and piped to `node --input-type=module -`.
 *
 *   npm run bench                      all scenarios
 *   npm run bench -- --only s1,s3      some of them (`s8`: shared rate limits; `s9`: plans; `s10`: context
 *                                      compaction; `durable`: the durable-runs table)
 *   npm run bench -- --profile         also run each child under --cpu-prof and list the
 *                                      functions with the most self time (timings then inflated;
 *                                      S7: the processes it starts, not the one that times them)
 *   npm run bench -- --tmpdir /dev/shm write transcripts there instead of .tmp/bench
 *   npm run bench -- --rounds 50       rounds per mode (S3: fresh processes per mode)
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import {
  formatNumber,
  type MeasureOptions,
  median,
  RESULT_MARK,
  type Row,
  renderTable,
  resultsTable,
  type Samples,
  spreadTable,
} from './lib.js'
import { topSelfTime } from './profile.js'

const BENCH = dirname(fileURLToPath(import.meta.url))
const ROOT = resolve(BENCH, '..')
const DIST = join(ROOT, 'dist')

interface Scenario {
  id: 's1' | 's2' | 's3' | 's4' | 's5' | 's6' | 's7'
  file: string
  title: string
}
const SCENARIOS: Scenario[] = [
  { id: 's1', file: 's1-tool-turns.ts', title: 'S1: 200 instant tool turns' },
  { id: 's2', file: 's2-parallel-tools.ts', title: 'S2: 10 parallel 50 ms tools' },
  { id: 's3', file: 's3-concurrent-runs.ts', title: 'S3: 2,000 concurrent runs, 20 ms model' },
  { id: 's4', file: 's4-fan-out.ts', title: 'S4: fan-out to 5 sub-agents, 20 ms model' },
  { id: 's5', file: 's5-replay.ts', title: 'S5: replay throughput' },
  { id: 's6', file: 's6-eval-replay.ts', title: 'S6: 1,000-case eval in replay mode' },
  { id: 's7', file: 's7-cold-start.ts', title: 'S7: cold start (baton --help, import baton)' },
]
/** Fresh processes per S3 measurement, per recording mode. */
const S3_ROUNDS = 3

// ---------------------------------------------------------------------------------------------

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (i < 0) return undefined
  const arg = args[i]!
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : (args[i + 1] ?? '')
}
const only = flag('only')
  ?.split(',')
  .map((s) => s.trim().toLowerCase())
const profile = args.includes('--profile')
/** Overrides the rounds per mode (e.g. many rounds to get a clearer profile). */
const roundsFlag = flag('rounds')
const rounds = roundsFlag ? Number.parseInt(roundsFlag, 10) : undefined
if (rounds !== undefined && !(rounds > 0)) {
  console.error(`bench: --rounds must be a positive integer, got ${roundsFlag}`)
  process.exit(2)
}
/**
 * Where transcripts are written (TMPDIR of the children). Default: .tmp/bench in the project,
 * on the same disk as the project, where runs usually record (`runs/…jsonl`). The OS temp
 * directory can be much slower at creating files (seen: 0.65 ms a file in /tmp against
 * 0.03 ms on the same disk elsewhere), which S3 does 2,000 times: `--tmpdir /tmp` shows it.
 */
const tmpDirFlag = flag('tmpdir')
const tmpDir = resolve(tmpDirFlag ?? join(ROOT, '.tmp', 'bench'))
mkdirSync(tmpDir, { recursive: true })
const selected = SCENARIOS.filter((s) => !only || only.includes(s.id))
/** The durable-runs table (bench/durable.ts), when PostgreSQL is installed. */
const durable = !only || only.includes('durable')
/** S8, shared rate limits against a rate-limited server (bench/s8-rate-limits.ts): a table of its own. */
const s8 = !only || only.includes('s8')
/** S9, plan mode and workflows against the ordinary loop (bench/s9-plans.ts): a table of its own. */
const s9 = !only || only.includes('s9')
/** S10, context compaction and scoped sub-agents against one long history (bench/s10-context.ts): a table of its own. */
const s10 = !only || only.includes('s10')
if (selected.length === 0 && !durable && !s8 && !s9 && !s10) {
  console.error(
    `bench: --only matched no scenario (known: ${SCENARIOS.map((s) => s.id).join(', ')}, s8, s9, s10, durable)`,
  )
  process.exit(2)
}

ensureBuilt()
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
const cpuList = cpus()
console.log(
  `Baton ${packageJson.version} (dist/) · Node ${process.version} · ${cpuList.length} CPU(s)` +
    `${cpuList[0] ? ` · ${cpuList[0].model.trim()}` : ''} · ${process.platform}/${process.arch}`,
)
console.log(`Transcripts (recording on) are written under ${tmpDir}`)
if (profile) console.log('--profile: children run under --cpu-prof, so the timings below are inflated.')

const profileDir = profile ? mkdtempSync(join(tmpdir(), 'baton-bench-prof-')) : undefined
const results = new Map<Scenario['id'], Samples>()
const started = Date.now()
try {
  for (const scenario of selected) {
    process.stdout.write(`${scenario.title} … `)
    const t0 = Date.now()
    const code = await bundle(scenario)
    const options: MeasureOptions & { cpuProfDir?: string } = rounds ? { rounds } : {}
    // S7 times processes it starts: those are the ones to profile.
    if (scenario.id === 's7' && profileDir) options.cpuProfDir = join(profileDir, 's7')
    const samples =
      scenario.id === 's3' ? await s3Rounds(scenario, code) : await child(scenario, code, options)
    results.set(scenario.id, samples)
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  if (selected.length > 0) printTables(results, started)
  if (profileDir) printProfiles(profileDir)
  if (s8) await script('s8-rate-limits.ts', '\n')
  if (s9) await script('s9-plans.ts', '\n')
  if (s10) await script('s10-context.ts', '\n')
  if (durable) await durableTable()
} finally {
  if (profileDir) rmSync(profileDir, { recursive: true, force: true })
}

// ---------------------------------------------------------------------------------------------

function printTables(results: Map<Scenario['id'], Samples>, started: number) {
  console.log(`\nMedians (total ${((Date.now() - started) / 1000).toFixed(0)} s):\n`)
  const table = rows(results)
  console.log(resultsTable(table))
  const ratioRows = ratios(results)
  if (ratioRows.length)
    console.log(`\nRatios, measured in this run (targets of the issue):\n\n${ratioTable(ratioRows)}`)
  const s6 = results.get('s6')
  if (s6) console.log(`\n${s6ByConcurrency(s6)}`)
  console.log('\nSpread of the rounds:\n')
  console.log(spreadTable(table))
}

/**
 * Durable runs (bench/durable.ts) need PostgreSQL's programs (Debian's `postgresql` package):
 * without them the table is skipped, saying so.
 */
async function durableTable(): Promise<void> {
  console.log(
    '\nDurable runs (bench/durable.ts: a throwaway PostgreSQL cluster, `baton worker` processes):\n',
  )
  if (!existsSync('/usr/lib/postgresql')) {
    console.log('skipped: PostgreSQL is not installed (apt-get install -y postgresql)')
    return
  }
  await script('durable.ts')
}

/** Runs a benchmark script that prints its own table (under tsx: it starts servers and processes). */
async function script(file: string, before = ''): Promise<void> {
  if (before) console.log(before)
  const code = await new Promise<number | null>((done) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', join(BENCH, file)], {
      cwd: ROOT,
      stdio: 'inherit',
    })
    proc.on('close', done)
  })
  if (code !== 0) throw new Error(`bench/${file} exited with ${code}`)
}

async function s3Rounds(scenario: Scenario, code: string): Promise<Samples> {
  const all: Samples = {}
  for (let i = 0; i < (rounds ?? (profile ? 1 : S3_ROUNDS)); i++) {
    for (const mode of ['off', 'on', 'hand'] as const) {
      const options = mode === 'hand' ? { hand: true } : { record: mode === 'on' }
      const samples = await child(scenario, code, options, ['--expose-gc'], mode)
      for (const [key, values] of Object.entries(samples)) {
        const name = `${key}.${mode}`
        all[name] = [...(all[name] ?? []), ...values]
      }
    }
  }
  return all
}

interface Ratio {
  label: string
  value: number
  target: number
}

/**
 * The targets that are ratios. S1's are medians of per-round ratios (its modes run in the same
 * rounds, so a slow moment hits both sides); S3's are ratios of medians (one process per mode).
 */
function ratios(results: Map<Scenario['id'], Samples>): Ratio[] {
  const out: Ratio[] = []
  const perRound = (a: number[] | undefined, b: number[] | undefined) =>
    a && b ? median(a.map((value, i) => value / b[i]!)) : Number.NaN
  const s1 = results.get('s1')
  if (s1) {
    out.push({
      label: 'S1 without a transcript / hand-written loop',
      value: perRound(s1.off, s1.hand),
      target: 1.5,
    })
    out.push({
      label: 'S1 with a transcript / hand-written loop',
      value: perRound(s1.on, s1.hand),
      target: 2,
    })
    out.push({
      label: 'S1 stream() with deltas / without',
      value: perRound(s1.streamDeltas, s1.streamNoDeltas),
      target: 1.1,
    })
    out.push({
      label: '(floor) S1 JSON.stringify of the events alone / hand-written loop',
      value: perRound(s1.jsonEvents, s1.hand),
      target: 2,
    })
    out.push({
      label: '(floor) S1 JSON.stringify of the responses and results alone / hand-written loop',
      value: perRound(s1.jsonNeeded, s1.hand),
      target: 2,
    })
    out.push({
      label: 'S1 per turn, 200 turns / 20 turns, without a transcript',
      value: perRound(s1.off, s1.shortOff),
      target: 1.2,
    })
    out.push({
      label: 'S1 per turn, 200 turns / 20 turns, with a transcript',
      value: perRound(s1.on, s1.shortOn),
      target: 1.2,
    })
  }
  const s3 = results.get('s3')
  if (s3) {
    const med = (key: string) => median(s3[key] ?? [])
    out.push({
      label: 'S3 without transcripts / hand-written loop',
      value: med('wallMs.off') / med('wallMs.hand'),
      target: 2,
    })
    out.push({
      label: 'S3 with transcripts / without',
      value: med('wallMs.on') / med('wallMs.off'),
      target: 1.5,
    })
  }
  return out
}

function ratioTable(list: Ratio[]): string {
  return renderTable(
    ['ratio', 'value', 'target', 'met'],
    list.map((r) => [r.label, formatNumber(r.value, 2), `≤ ${r.target}`, r.value <= r.target ? 'yes' : 'NO']),
  )
}

function rows(results: Map<Scenario['id'], Samples>): Row[] {
  const out: Row[] = []
  const m = (samples: Samples, key: string) => samples[key]
  const s1 = results.get('s1')
  if (s1) {
    out.push({
      label: 'S1 µs per tool turn',
      off: m(s1, 'off'),
      on: m(s1, 'on'),
      digits: 1,
      target: '≤ 30 (on)',
      meets: (on) => on <= 30,
      floor: '14',
      floorHere: m(s1, 'hand'),
    })
    out.push({
      label: 'S1 µs per tool turn, 20-turn run',
      off: m(s1, 'shortOff'),
      on: m(s1, 'shortOn'),
      digits: 1,
      target: '',
      floorHere: m(s1, 'hand'),
    })
    out.push({
      label: 'S1 µs per tool turn, traced (no-op tracer · in-memory exporter)',
      off: m(s1, 'tracedNoop'),
      on: m(s1, 'tracedMemory'),
      digits: 1,
      target: '',
    })
    out.push({
      label: 'S1 µs per tool turn, stream() read (deltas off · on)',
      off: m(s1, 'streamNoDeltas'),
      on: m(s1, 'streamDeltas'),
      digits: 1,
      target: '',
    })
    out.push({
      label: 'S1 µs per tool turn, parts alone (the events folded · the transcript lines made, no disk)',
      off: m(s1, 'foldAlone'),
      on: m(s1, 'linesAlone'),
      digits: 2,
      target: '',
      floorHere: m(s1, 'hand'),
    })
    out.push({
      label: 'S1 µs per tool turn, JSON.stringify alone (every event · the responses and results)',
      off: m(s1, 'jsonEvents'),
      on: m(s1, 'jsonNeeded'),
      digits: 2,
      target: '',
      floorHere: m(s1, 'hand'),
    })
  }
  const s2 = results.get('s2')
  if (s2)
    out.push({
      label: 'S2 wall ms',
      off: m(s2, 'off'),
      on: m(s2, 'on'),
      digits: 1,
      target: '≈ 50 (≤ 52.5)',
      meets: (on) => on <= 52.5,
      floor: '50.6',
      floorHere: m(s2, 'floor'),
    })
  const s3 = results.get('s3')
  if (s3) {
    out.push({
      label: 'S3 wall ms',
      off: m(s3, 'wallMs.off'),
      on: m(s3, 'wallMs.on'),
      digits: 0,
      target: '≤ 400 (ideal 100)',
      meets: (on) => on <= 400,
      floor: '259',
      floorHere: m(s3, 'wallMs.hand'),
    })
    out.push({
      label: 'S3 peak RSS MB',
      off: m(s3, 'peakRssMb.off'),
      on: m(s3, 'peakRssMb.on'),
      digits: 0,
      target: '',
      floor: '77',
    })
    out.push({
      label: 'S3 peak heap KB per run',
      off: m(s3, 'heapKbPerRun.off'),
      on: m(s3, 'heapKbPerRun.on'),
      digits: 1,
      target: '',
    })
  }
  const s4 = results.get('s4')
  if (s4)
    out.push({
      label: 'S4 wall ms',
      off: m(s4, 'off'),
      on: m(s4, 'on'),
      digits: 1,
      target: '≤ 103 (ideal 100)',
      meets: (on) => on <= 103,
      floor: '102',
      floorHere: m(s4, 'floor'),
    })
  const s5 = results.get('s5')
  if (s5) {
    const runs = { long: '200-turn run', 'fan-out': '5 sub-agents' }
    const sources = { parsed: 'parsed', file: 'from file' }
    for (const [run, runLabel] of Object.entries(runs))
      for (const [source, sourceLabel] of Object.entries(sources))
        out.push({
          label: `S5 replayed steps/s, ${runLabel}, ${sourceLabel}`,
          off: m(s5, `${run}.${source}`),
          on: undefined,
          noToggle: true,
          digits: 0,
          target: '≥ 20,000',
          meets: (value) => value >= 20_000,
        })
  }
  const s6 = results.get('s6')
  if (s6) {
    const best = s6Best(s6)
    const picks = best === 'default' ? ['default'] : ['default', best]
    const label = (key: string) =>
      key === 'default' ? 'default concurrency (4)' : `best: concurrency ${key.slice(1)}`
    for (const key of picks)
      out.push({
        label: `S6 s for 1,000 cases, ${label(key)}`,
        off: m(s6, key),
        on: undefined,
        noToggle: true,
        digits: 2,
        target: '≤ 5',
        meets: (value) => value <= 5,
      })
    for (const key of picks)
      out.push({
        label: `S6 cases/s, ${label(key)}`,
        off: m(s6, key)?.map((seconds) => 1_000 / seconds),
        on: undefined,
        noToggle: true,
        digits: 0,
        target: '≥ 200',
        meets: (value) => value >= 200,
      })
  }
  const s7 = results.get('s7')
  if (s7) {
    const bare = m(s7, 'bare')
    out.push(
      {
        label: 'S7 ms, baton --help (process wall)',
        off: m(s7, 'help'),
        on: undefined,
        noToggle: true,
        digits: 0,
        target: '≤ 150',
        meets: (value) => value <= 150,
        floorHere: bare,
      },
      {
        label: "S7 ms, import('baton') (inside the process)",
        off: m(s7, 'importIn'),
        on: undefined,
        noToggle: true,
        digits: 1,
        target: '≤ 80',
        meets: (value) => value <= 80,
      },
      {
        label: 'S7 ms, node -e "await import(\'baton\')" (process wall)',
        off: m(s7, 'importWall'),
        on: undefined,
        noToggle: true,
        digits: 0,
        target: '',
        floorHere: bare,
      },
    )
  }
  return out
}

/** The concurrency key of S6 (`c16`, or `default`) with the lowest median wall time. */
function s6Best(samples: Samples): string {
  return Object.keys(samples).reduce((a, b) => (median(samples[b]!) < median(samples[a]!) ? b : a))
}

function s6ByConcurrency(samples: Samples): string {
  const shown = Object.keys(samples).map((key) => {
    const name = key === 'default' ? 'default (4)' : key.slice(1)
    return `${name}: ${formatNumber(median(samples[key]!), 2)} s`
  })
  return `S6 median s for 1,000 cases by concurrency: ${shown.join(' · ')}`
}

function printProfiles(dir: string) {
  const modes = { both: 'recording off and on', off: 'recording off', on: 'recording on' }
  for (const scenario of selected) {
    if (scenario.id === 's7') {
      const kinds = { help: 'node dist/cli/main.js --help', import: "import('baton')", bare: 'node -e 0' }
      for (const [kind, label] of Object.entries(kinds)) {
        const sub = join(dir, 's7', kind)
        if (!existsSync(sub)) continue
        console.log(`\nTop self time, S7 ${label} (all its processes, warm-up included):\n`)
        console.log(topSelfTime(sub, ROOT))
      }
      continue
    }
    for (const [mode, label] of Object.entries(modes)) {
      const sub = join(dir, scenario.id, mode)
      if (!existsSync(sub)) continue
      // S5 and S6 have no recording toggle; their untimed recording of the inputs is profiled too.
      const what =
        scenario.id === 's5' || scenario.id === 's6'
          ? 'warm-up, recording of the inputs and clean-up included'
          : `${label}, warm-up included`
      console.log(`\nTop self time, ${scenario.title} (${what}):\n`)
      console.log(topSelfTime(sub, ROOT))
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** Bundles a scenario and its helpers into one ES module; dist/ and packages stay imports. */
async function bundle(scenario: Scenario): Promise<string> {
  const entry = [
    `import { measure } from './${scenario.file}'`,
    `const samples = await measure(JSON.parse(process.env.BATON_BENCH_OPTIONS ?? '{}'))`,
    `process.stdout.write(${JSON.stringify(RESULT_MARK)} + JSON.stringify(samples) + '\\n')`,
  ].join('\n')
  const out = await build({
    stdin: { contents: entry, resolveDir: BENCH, loader: 'ts', sourcefile: `bench-${scenario.id}.ts` },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'dist-external',
        setup(b) {
          // Leave the built library as an import of the real file (never bundled or transformed).
          b.onResolve({ filter: /\/dist\// }, ({ path, resolveDir }) => ({
            path: pathToFileURL(resolve(resolveDir, path)).href,
            external: true,
          }))
        },
      },
    ],
  })
  return out.outputFiles[0]!.text
}

/** Runs one bundled scenario in a fresh `node` and returns what it reports. */
function child(
  scenario: Scenario,
  code: string,
  options: MeasureOptions,
  nodeFlags: string[] = [],
  mode?: 'off' | 'on' | 'hand',
): Promise<Samples> {
  const flags = [...nodeFlags]
  if (profileDir && scenario.id !== 's7')
    flags.push('--cpu-prof', `--cpu-prof-dir=${join(profileDir, scenario.id, mode ?? 'both')}`)
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_BENCH_OPTIONS: JSON.stringify(options) }
  env.TMPDIR = tmpDir
  // Never let a loader (tsx) reach the measured process through NODE_OPTIONS.
  if (env.NODE_OPTIONS?.includes('tsx')) delete env.NODE_OPTIONS
  // Let the kernel finish writing out the previous round's files first: on 2 cores its
  // writeback would otherwise run during this measurement.
  spawnSync('sync')
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, [...flags, '--input-type=module', '-'], {
      cwd: BENCH,
      env,
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let stdout = ''
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    proc.on('error', reject)
    proc.on('close', (code, signal) => {
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_MARK))
      if (code !== 0 || !line) {
        reject(new Error(`${scenario.id} child exited with ${signal ?? code}${stdout ? `:\n${stdout}` : ''}`))
        return
      }
      resolvePromise(JSON.parse(line.slice(RESULT_MARK.length)) as Samples)
    })
    proc.stdin.end(code)
  })
}

/** Builds dist/ when it is missing; warns when src/ changed after the last build. */
function ensureBuilt() {
  const entries = [join(DIST, 'index.js'), join(DIST, 'testing', 'index.js')]
  if (!entries.every((file) => existsSync(file))) {
    console.log('dist/ is missing: running npm run build')
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
    if (built.status !== 0) process.exit(built.status ?? 1)
    return
  }
  const builtAt = statSync(entries[0]!).mtimeMs
  const newest = newestMtime(join(ROOT, 'src'))
  if (newest > builtAt)
    console.warn(
      'warning: src/ changed after dist/ was built; run `npm run build` to measure the current code',
    )
}

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path))
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}
