/**
 * What the distribution client needs from a content store: verified blobs by
 * digest and resumable ingests. core/image's ContentStore has this shape; the
 * tests' staging store too.
 */

/** A resumable writer for one expected blob. */
export interface IngestWriter {
  /** Bytes already present from an earlier, interrupted ingest. */
  readonly offset: number;
  /** The file the data is appended to, when the store has one (lets a pull extract while it downloads). */
  readonly file?: string;
  /** Appends data (after `offset`). */
  write(chunk: Buffer): Promise<void>;
  /** Appends several chunks in one system call, where the store can (else they are joined and written). */
  writev?(chunks: Buffer[]): Promise<void>;
  /** Discards the partial data (the server ignored our Range) and starts at 0. */
  restart(): Promise<void>;
  /**
   * Verifies size and digest, then makes the blob visible. On mismatch the
   * partial data is deleted and an InvalidArgumentError names both digests.
   * `onVerified` is called as soon as the digest matched (before the blob is
   * made durable and moved into place).
   */
  commit(onVerified?: () => void): Promise<void>;
  /** Stops writing, keeping the partial data for a later resume. */
  close(): Promise<void>;
}

/** What the distribution client needs from a content store. */
export interface BlobStore {
  /** Whether a verified blob is present. */
  has(digest: string): Promise<boolean>;
  /** The path of a verified blob (NotFound if absent). */
  path(digest: string): string;
  /** Opens (or resumes) the ingest of `digest` of `size` bytes. */
  ingest(digest: string, size: number): Promise<IngestWriter>;
  /** Removes a verified blob (after it was applied and recorded). */
  remove(digest: string): Promise<void>;
}
