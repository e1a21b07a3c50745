/**
 * The library names its options (`run: options.model: …`); on the command line the same problem
 * is a flag's. Errors that reach the CLI from the library are reworded in flags.
 */
const OPTION_FLAGS: ReadonlyArray<[RegExp, string]> = [
  [/\boptions\.model\b/g, '--model'],
  [/\boptions\.prices\b/g, '--prices/--price'],
  [/\boptions\.record\b/g, '--record'],
  [/\boptions\.budget\.maxSteps\b/g, '--max-steps'],
  [/\boptions\.budget\.maxTokens\b/g, '--max-tokens'],
  [/\boptions\.budget\.maxCostUsd\b/g, '--max-cost-usd'],
  [/\boptions\.budget\.maxWallMs\b/g, '--max-wall-ms'],
  [/\boptions\.budget\.maxToolCalls\b/g, '--max-tool-calls'],
  [/\boptions\.budget\.maxDepth\b/g, '--max-depth'],
  [/\boptions\.budget\b/g, 'the --max-… flags'],
  [/\bthe prices option\b/g, '--price <model>=<input>,<output> or --prices <file.json>'],
  [/\bthe `?prices`? (run )?option\b/g, '--price <model>=<input>,<output> or --prices <file.json>'],
]

/** `message` with library option names replaced by the flags that set them. */
export function inFlags(message: string): string {
  let text = message.replace(/^(run|replay|resume|fork): (?=options\.)/, '')
  for (const [pattern, flag] of OPTION_FLAGS) text = text.replace(pattern, flag)
  return text
}
