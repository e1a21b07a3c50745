/**
 * Whether bytes look like something other than text: a NUL byte, or many control characters,
 * in the first 4 KB. (What `file` and git do, roughly; good enough to avoid dumping images.)
 */
export function looksBinary(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 4096)
  let control = 0
  for (const byte of sample) {
    if (byte === 0) return true
    // Tab, newline, form feed, carriage return and escape are common in text.
    if (byte < 32 && byte !== 9 && byte !== 10 && byte !== 12 && byte !== 13 && byte !== 27) control++
  }
  return control > sample.length / 10
}

/** `1,234 bytes` — sizes the model reads. */
export function bytesText(count: number): string {
  return `${count.toLocaleString('en-US')} byte${count === 1 ? '' : 's'}`
}
