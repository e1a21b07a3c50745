/** Whether the CLI draws the live tree: on a terminal that can take it, and not with --json. */
export function drawsTree(
  json: boolean | undefined,
  out: { isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return !json && out.isTTY === true && env.TERM !== 'dumb'
}
