/**
 * Like Promise.all, but settles only when every promise has settled (so the
 * caller's undo, run after, never races work still in flight), then rejects
 * with the first error.
 */
export async function allOrFirstError<T extends readonly unknown[]>(ps: readonly [...{ [K in keyof T]: Promise<T[K]> }]): Promise<T> {
  const settled = await Promise.allSettled(ps);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
