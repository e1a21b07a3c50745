/** Small helpers for tests that start servers and processes. */
import { spawn } from 'node:child_process'
import type { IncomingMessage } from 'node:http'
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Whether a process with this pid is still there. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The whole body of a request to a test server, as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = ''
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', () => resolve(body))
  })
}

/** How a process ended, with all it wrote. */
export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `node <script> …args` without blocking (a server in the test's own process can answer it)
 * and waits for its end; killed after `timeoutMs`, which rejects. `node` is this process's Node
 * unless `execPath` names another, started with `nodeArgs` before the script.
 */
export function runNode(
  script: string,
  args: readonly string[],
  options: {
    cwd: string
    env?: Record<string, string>
    timeoutMs?: number
    execPath?: string
    nodeArgs?: readonly string[]
  },
): Promise<Ran> {
  const timeoutMs = options.timeoutMs ?? 60_000
  return new Promise((resolve, reject) => {
    const child = spawn(
      options.execPath ?? process.execPath,
      [...(options.nodeArgs ?? []), script, ...args],
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node ${script} ${args.join(' ')} took over ${timeoutMs / 1000} s: ${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}
