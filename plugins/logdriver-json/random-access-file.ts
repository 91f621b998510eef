/**
 * The one way the json-file driver reads and stats its files, so that tests
 * can count the bytes read (to prove `tail` does not scan a whole file).
 */
import { promises as fsp } from 'node:fs';

export interface RandomAccessFile {
  /** Reads up to `length` bytes at `position` (fewer only at end of file). */
  read(position: number, length: number): Promise<Buffer>;
  /** Current size and inode of the open file. */
  stat(): Promise<{ size: number; ino: number }>;
  close(): Promise<void>;
}

/** Opens a file for reading; rejects with the fs error (ENOENT included). */
export type FileOpener = (path: string) => Promise<RandomAccessFile>;

/** The real opener: node:fs FileHandles. */
export const openFile: FileOpener = async (path) => {
  const fh = await fsp.open(path, 'r');
  return {
    async read(position, length) {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, position + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    },
    async stat() {
      const st = await fh.stat();
      return { size: st.size, ino: st.ino };
    },
    close: () => fh.close(),
  };
};

/** A RandomAccessFile over bytes in memory (a decompressed rotated file). */
export function memoryFile(data: Buffer): RandomAccessFile {
  return {
    read: async (position, length) => data.subarray(position, Math.min(data.length, position + length)),
    stat: async () => ({ size: data.length, ino: 0 }),
    close: async () => undefined,
  };
}
