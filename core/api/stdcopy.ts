/**
 * Docker's multiplexed stream format (`application/vnd.docker.multiplexed-stream`,
 * used without a tty by logs, attach and exec): every chunk is preceded by an
 * 8-byte header — stream type (0 stdin, 1 stdout, 2 stderr), three zero bytes,
 * and the payload size as a big-endian uint32.
 */

/** Stream types of the multiplexed format. */
export const StdStream = Object.freeze({ stdin: 0, stdout: 1, stderr: 2 } as const);
export type StdStreamType = 0 | 1 | 2;

/** Largest payload one frame may carry (uint32). Bigger chunks are split. */
const MAX_FRAME = 0xffffffff;

/** Frames `data` as one or more multiplexed chunks of stream `type`. */
export function frame(type: StdStreamType, data: Buffer): Buffer {
  if (data.length <= MAX_FRAME) {
    const header = Buffer.alloc(8);
    header[0] = type;
    header.writeUInt32BE(data.length, 4);
    return Buffer.concat([header, data]);
  }
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += MAX_FRAME) parts.push(frame(type, data.subarray(off, off + MAX_FRAME)));
  return Buffer.concat(parts);
}

/**
 * Splits a multiplexed byte stream back into frames (for tests and clients).
 * Returns the complete frames and the unconsumed rest.
 */
export function demux(buf: Buffer): { frames: Array<{ type: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ type: number; data: Buffer }> = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const size = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < size) break;
    frames.push({ type: buf[off], data: buf.subarray(off + 8, off + 8 + size) });
    off += 8 + size;
  }
  return { frames, rest: buf.subarray(off) };
}
