/**
 * Key globs for memory scopes: `*` matches within one `/`-separated segment, `**` matches any
 * number of segments. `notes/*` matches `notes/a` but not `notes/a/b`; `notes/**` matches both.
 */
export function compileGlob(glob: string): (key: string) => boolean {
  if (glob === '**') return () => true
  let source = ''
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!
    if (char === '*' && glob[i + 1] === '*') {
      source += '.*'
      i++
    } else if (char === '*') source += '[^/]*'
    else source += char.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  const re = new RegExp(`^${source}$`)
  return (key) => re.test(key)
}

/** One matcher for a list of globs; an empty list matches nothing. */
export function compileGlobs(globs: readonly string[]): (key: string) => boolean {
  const matchers = globs.map(compileGlob)
  return (key) => matchers.some((match) => match(key))
}
