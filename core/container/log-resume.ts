/**
 * Lossless log copying across a daemon crash (issue 3): the daemon's log
 * copier attaches to PID 1 as the *log consumer* (AttachOptions.log). The
 * exec driver keeps the output it sent until the consumer acknowledges it,
 * and the consumer acknowledges only what the log driver has written.
 *
 * Exactly once: an acknowledgement cannot be written atomically with the log,
 * so the resume point after a crash is derived from the log itself. The mark
 * stored with each acknowledgement is, per stream, the log time of the last
 * message it covers (`<stdoutNs>:<stderrNs>`); the copier stamps messages with
 * a per-stream increasing time, so the bytes of the messages logged after
 * that time are exactly what was stored after the acknowledgement. Blocking
 * mode only (non-blocking drops messages by design); a driver without a
 * reader resumes at the last acknowledgement (nothing lost, possibly repeated).
 */
import type { AttachOptions, OutputPosition } from '../drivers/execdriver';
import type { LogDriver, LogMessage, LogReader } from '../drivers/logdriver';
import { LOG_PARTIAL_SIZE } from '../drivers/logdriver';
import { nowNs } from '../logging/log-clock';
import { parseLogMode } from '../logging/create-log-driver';

function parseMark(mark: string): [bigint, bigint] | null {
  const m = /^(\d+):(\d+)$/.exec(mark);
  return m ? [BigInt(m[1]), BigInt(m[2])] : null;
}

/**
 * The log attach of a container whose copier runs in blocking mode over
 * `driver`: `options` for RunningContainer.attach, then `track()` for the
 * copier's driver.
 */
export class LogAttach {
  /** The mark of the position the attach started at (set by resumeFrom after a restart). */
  private mark: string;
  readonly options: AttachOptions;

  constructor(driver: LogDriver & Partial<LogReader>) {
    const now = nowNs();
    this.mark = `${now}:${now}`;
    this.options = { log: { mark: this.mark, resumeFrom: async (acked) => {
      const pos = await resumeFrom(driver, acked);
      this.mark = pos.mark;
      return pos;
    } } };
  }

  /** The driver the copier should write to: acknowledges what it stored through io.ack (`driver` itself without io.ack). */
  track(driver: LogDriver, ack: ((consumed: OutputPosition) => void) | undefined): LogDriver {
    return ack ? trackLogPosition(driver, ack, this.mark) : driver;
  }
}

/** Where to resume: the acknowledged position plus the bytes of what the log holds after its mark. */
async function resumeFrom(driver: LogDriver & Partial<LogReader>, acked: OutputPosition): Promise<OutputPosition> {
  const since = parseMark(acked.mark);
  const t = nowNs();
  // the new mark is never below a time already in the log (another process's clock may lag by a little)
  const marks = since ? [since[0] > t ? since[0] : t, since[1] > t ? since[1] : t] : [t, t];
  if (!since || !driver.read) return { stdout: acked.stdout, stderr: acked.stderr, mark: `${marks[0]}:${marks[1]}` };
  const min = since[0] < since[1] ? since[0] : since[1];
  const counted = [0, 0];
  const stream = driver.read({ since: new Date(Number(min / 1_000_000n)), follow: false });
  for await (const m of stream as AsyncIterable<LogMessage>) {
    const i = m.source === 'stderr' ? 1 : 0;
    const at = m.timeNs ?? BigInt(m.time.getTime()) * 1_000_000n;
    if (at <= since[i]) continue;
    counted[i] += m.line.length;
    if (at > marks[i]) marks[i] = at;
  }
  return { stdout: acked.stdout + counted[0], stderr: acked.stderr + counted[1], mark: `${marks[0]}:${marks[1]}` };
}

/**
 * Wraps `driver` for the copier: counts the bytes of the messages it is
 * given and, once the driver has written them (`flush` where it has one),
 * acknowledges the count through `ack`. Acknowledges only at message
 * boundaries (not inside a line split into 16 KiB pieces, which share a time).
 */
export function trackLogPosition(driver: LogDriver, ack: (consumed: OutputPosition) => void, startMark: string): LogDriver {
  const count = [0, 0];
  const start = parseMark(startMark) ?? [nowNs(), nowNs()];
  const done = [0, 0];
  const marks = [String(start[0]), String(start[1])];
  let ready: OutputPosition | null = null;
  let running = false;
  let again = false;
  const flushable = driver as unknown as { flush?(): Promise<void> };
  const note = (msgs: LogMessage[]): void => {
    for (const m of msgs) {
      const i = m.source === 'stderr' ? 1 : 0;
      count[i] += m.line.length;
      // a non-last piece shorter than 16 KiB is the end of the stream (no more pieces follow)
      if (!m.partial || m.partial.last || m.line.length < LOG_PARTIAL_SIZE) {
        done[i] = count[i];
        marks[i] = String(m.timeNs ?? BigInt(m.time.getTime()) * 1_000_000n);
        ready = { stdout: done[0], stderr: done[1], mark: `${marks[0]}:${marks[1]}` };
      }
    }
  };
  const kick = (): void => {
    if (running) { again = true; return; }
    running = true;
    void (async () => {
      do {
        again = false;
        const pos = ready;
        if (flushable.flush) await flushable.flush.call(driver).catch(() => undefined);
        if (pos) ack(pos);
      } while (again);
      running = false;
    })();
  };
  const settle = (p: Promise<void>): Promise<void> => { p.then(kick, kick); return p; };
  const wrapped: LogDriver = {
    log: (msg) => { note([msg]); return settle(driver.log(msg)); },
    close: () => driver.close(),
  };
  if (driver.logBatch) wrapped.logBatch = (msgs) => { note(msgs); return settle(driver.logBatch!(msgs)); };
  if (driver.logLines) {
    // the same counting for the copier's LogLines (one stream, no object per line)
    wrapped.logLines = (lines) => {
      const i = lines.source === 'stderr' ? 1 : 0;
      let last = -1;
      for (let k = 0; k < lines.length; k++) {
        const len = lines.ends[k] - lines.starts[k];
        count[i] += len;
        if (lines.complete[k] === 1 || len < LOG_PARTIAL_SIZE) { done[i] = count[i]; last = k; }
      }
      if (last >= 0) {
        marks[i] = String(lines.timesNs[last]);
        ready = { stdout: done[0], stderr: done[1], mark: `${marks[0]}:${marks[1]}` };
      }
      return settle(driver.logLines!(lines));
    };
  }
  return wrapped;
}

/** The LogAttach for a container's log config, or undefined in non-blocking mode (lossy by design: plain attach). */
export function logAttachFor(logConfig: { Type: string; Config?: Record<string, string> }, driver: LogDriver & Partial<LogReader>): LogAttach | undefined {
  if (logConfig.Type !== 'none' && parseLogMode(logConfig.Config ?? {}).mode !== 'blocking') return undefined;
  return new LogAttach(driver);
}
