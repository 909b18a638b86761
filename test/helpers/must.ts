// Checked stand-ins for `x!` in tests: each throws a clear Error (failing the test at the right line) where `x!`
// would have let an undefined through to fail later, or not at all.

/** `value`, which must be neither undefined nor null; `what` names it in the Error thrown otherwise. */
export function must<T>(value: T, what: string): NonNullable<T> {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${String(value)}`);
  return value;
}

/** XORs `bytes[index]` with `mask` (flips bit 0 by default); `index` must be inside `bytes`. */
export function flipBits(bytes: Uint8Array, index: number, mask = 1): void {
  const byte = bytes[index];
  if (byte === undefined || !Number.isInteger(index)) {
    throw new RangeError(`cannot flip byte ${index} of ${bytes.length}`);
  }
  bytes[index] = byte ^ mask;
}
