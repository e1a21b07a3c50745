/**
 * Reads the `.cpuprofile` files written by `node --cpu-prof` and lists the functions with the
 * most self time (time spent in the function itself, not in what it calls).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { formatNumber, renderTable } from './lib.js'

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time (µs) by function, summed over every profile in `dir`. */
export function selfTimes(dir: string, root: string): Map<string, number> {
  const totals = new Map<string, number>()
  const rootUrl = `${pathToFileURL(root).href}/`
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
    const names = new Map<number, string>()
    for (const { id, callFrame } of profile.nodes) {
      const { functionName, url, lineNumber } = callFrame
      const where = url ? ` ${url.replace(rootUrl, '')}:${lineNumber + 1}` : ''
      names.set(id, `${functionName || '(anonymous)'}${where}`)
    }
    // timeDeltas[i + 1] is the time until the sample after sample i: charge it to sample i.
    profile.samples.forEach((id, i) => {
      const name = names.get(id)!
      totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? 0))
    })
  }
  return totals
}

/** The top `count` functions by self time, as a table (idle time left out). */
export function topSelfTime(dir: string, root: string, count = 15): string {
  const totals = selfTimes(dir, root)
  totals.delete('(idle)')
  const busy = [...totals.values()].reduce((a, b) => a + b, 0)
  const rows = [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => [formatNumber(us / 1000, 1), formatNumber((100 * us) / busy, 1), name])
  return `${renderTable(['self ms', '% of busy', 'function'], rows)}\n(busy time ${formatNumber(busy / 1000, 0)} ms in total)`
}
