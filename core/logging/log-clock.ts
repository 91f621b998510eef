/**
 * The copier's clock: nanoseconds since the Unix epoch, from the wall clock
 * at startup plus the monotonic clock since, so the times stamped on a
 * container's messages never go backwards (tail, since and until rely on it).
 */
const wallAtStart = BigInt(Date.now()) * 1_000_000n;
const monoAtStart = process.hrtime.bigint();

/** Now, in nanoseconds since the epoch; never decreases within a process. */
export function nowNs(): bigint {
  return wallAtStart + (process.hrtime.bigint() - monoAtStart);
}
