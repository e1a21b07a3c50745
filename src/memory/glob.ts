/**
 * Key globs for memory scopes, segment by segment (`/` separates segments): `*` matches within
 * one segment, and a `**` segment matches any number of segments, none included.
 * `notes/*` matches `notes/a` but not `notes/a/b`; `notes/**` matches both; `a/**` + `/z`
 * matches `a/z` and `a/b/c/z`.
 */
export function compileGlob(glob: string): (key: string) => boolean {
  if (glob === '**') return () => true
  const segments = glob.split('/')
  let source = ''
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1
    if (segment === '**') source += last ? '.*' : '(?:[^/]*/)*'
    else source += segment.split(/\*+/).map(escapeRegExp).join('[^/]*') + (last ? '' : '/')
  })
  const re = new RegExp(`^${source}$`)
  return (key) => re.test(key)
}

/** One matcher for a list of globs; an empty list matches nothing. */
export function compileGlobs(globs: readonly string[]): (key: string) => boolean {
  const matchers = globs.map(compileGlob)
  return (key) => matchers.some((match) => match(key))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
}
