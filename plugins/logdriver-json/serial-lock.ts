/** A promise-chain mutex: runs critical sections one at a time, in call order. */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every earlier section has finished; resolves with its result. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
