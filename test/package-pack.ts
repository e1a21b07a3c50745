/**
 * Packs Baton the way a new user's clone would be packed: a copy of the sources with no dist/,
 * through `npm pack` (so `prepack` has to build), then unpacks the tarball to look inside.
 */
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))

// What a working copy has and a fresh clone does not (build output, run leftovers, git itself).
const NOT_IN_A_CLONE = new Set([
  'node_modules',
  'dist',
  '.git',
  'runs',
  'workspace',
  'coverage',
  'test-output',
  '.tmp',
])

// What npm sets for a script it runs, and what an enclosing `npx -p … -c …` sets.
const NPM_SET =
  /^(npm_package_|npm_lifecycle_|npm_config_local_prefix$|npm_config_(call|package|yes)$|npm_command$|init_cwd$)/i

/**
 * The environment for an npm started by a test, without the variables `npm test` set for this
 * package, nor those an enclosing `npx -p … -c …` sets (a nested npx would take its `call` and
 * `package` as its own and refuse its arguments).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const key of Object.keys(env)) {
    if (NPM_SET.test(key)) delete env[key]
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra }
}

/** Runs a command and resolves with its output; rejects (with stdout and stderr) when it fails. */
export async function exec(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(command, args, {
    cwd: options.cwd,
    env: options.env ?? cleanEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs,
  })
}

export interface Packed {
  /** A temporary directory holding everything below; `dispose()` removes it. */
  dir: string
  tarball: string
  /** Compressed size in bytes, as npm reports it. */
  size: number
  /** Whether the copy had a dist/ before `npm pack` ran (it must not: a clone has none). */
  hadDist: boolean
  /** The unpacked package directory and its files (relative, with `/`). */
  root: string
  files: string[]
  dispose(): void
}

/** Copies the sources as a clone has them, packs them with `npm pack`, and unpacks the tarball. */
export async function packFreshCopy(): Promise<Packed> {
  const dir = mkdtempSync(join(tmpdir(), 'baton-pack-'))
  const source = join(dir, 'source')
  const modules = join(source, 'node_modules')
  cpSync(repoRoot, source, {
    recursive: true,
    filter: (from) => !NOT_IN_A_CLONE.has(relative(repoRoot, from).split(sep)[0]!),
  })
  // `npm ci` would fill node_modules; linking the one already installed saves the network and minutes.
  symlinkSync(join(repoRoot, 'node_modules'), modules, process.platform === 'win32' ? 'junction' : 'dir')
  const dispose = () => {
    if (existsSync(modules)) unlinkSync(modules)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const hadDist = existsSync(join(source, 'dist'))
    const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', dir], {
      cwd: source,
      timeoutMs: 240_000,
    })
    const [info] = JSON.parse(stdout) as [{ filename: string; size: number }]
    const tarball = join(dir, info.filename)
    const unpacked = join(dir, 'unpacked')
    mkdirSync(unpacked)
    await exec('tar', ['-xzf', tarball, '-C', unpacked], { cwd: dir, timeoutMs: 60_000 })
    const root = join(unpacked, 'package')
    const files = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'))
    return { dir, tarball, size: info.size, hadDist, root, files, dispose }
  } catch (error) {
    dispose()
    throw error
  }
}
