/**
 * Draws a JSON-message stream (pull, push, load, import) the way docker's
 * jsonmessage.DisplayJSONMessagesStream does: on a terminal, one line per
 * layer id, redrawn in place with ANSI cursor moves and a `[===>   ]` bar;
 * elsewhere, only the status lines, no bars.
 */
import type { Writable } from 'node:stream';
import { humanDuration, humanSize } from './output';

/** One message of the stream (Docker's JSONMessage). */
export interface JsonMessage {
  id?: string;
  status?: string;
  stream?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number; start?: number; units?: string };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: unknown;
}

/** A stream message carrying an error (`{"error": ...}`), thrown by the renderer. */
export class JsonMessageError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
    this.name = 'JsonMessageError';
  }
}

/** Docker's JSONProgress.String(): bar (when wide enough), numbers, time left. */
export function progressString(p: NonNullable<JsonMessage['progressDetail']>, width: number, now = Date.now()): string {
  const current = p.current ?? 0;
  const total = p.total ?? 0;
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return p.units ? `${current} ${p.units}` : humanSize(current).padStart(8);
  let pct = Math.floor((current / total) * 100 / 2);
  if (pct > 50) pct = 50;
  let bar = '';
  if (width > 110) bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  let numbers = p.units ? `${current}/${total} ${p.units}` : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  if (current > total) numbers = '';
  let left = '';
  if (p.start && p.start > 0 && width > 50 && current > 0 && current < total) {
    const elapsed = now - p.start * 1000;
    const remaining = (elapsed / current) * (total - current);
    if (remaining > 0) left = ` ${humanDuration(remaining)}`;
  }
  return bar + numbers + left;
}

const ESC = '\x1b[';

/**
 * Stateful renderer: feed it messages in order. `isTerminal` selects the
 * redraw-in-place mode; `width` is the terminal width (bars need > 110).
 */
export class ProgressRenderer {
  /** Line index of every id seen since the last message without progress. */
  private ids = new Map<string, number>();

  constructor(private readonly out: Writable, private readonly isTerminal: boolean, private readonly width = 200) {}

  /** Draws one message; throws JsonMessageError for an error message. */
  write(m: JsonMessage): void {
    if (m.error !== undefined || m.errorDetail?.message !== undefined) {
      throw new JsonMessageError(m.errorDetail?.message ?? m.error ?? 'unknown error', m.errorDetail?.code);
    }
    if (m.aux !== undefined && m.status === undefined && m.stream === undefined) return;
    let diff = 0;
    const hasProgress = m.progressDetail !== undefined || (m.progress !== undefined && m.progress !== '');
    if (m.id && hasProgress) {
      let line = this.ids.get(m.id);
      if (line === undefined) {
        line = this.ids.size;
        this.ids.set(m.id, line);
        if (this.isTerminal) this.out.write('\n');
      }
      diff = this.ids.size - line;
      if (this.isTerminal && diff > 0) this.out.write(`${ESC}${diff}A`);
    } else {
      // A message without progress starts a new block of lines.
      this.ids = new Map();
    }
    this.display(m);
    if (m.id && this.isTerminal && diff > 0) this.out.write(`${ESC}${diff}B`);
  }

  private display(m: JsonMessage): void {
    let endl = '';
    const bar = m.progressDetail ? progressString(m.progressDetail, this.width) : (m.progress ?? '');
    if (this.isTerminal && m.stream === undefined && (m.progressDetail || m.progress)) {
      this.out.write(`${ESC}2K\r`);
      endl = '\r';
    } else if ((m.progressDetail || m.progress) && bar !== '') {
      return; // no bars off a terminal
    }
    let s = '';
    if (m.id) s += `${m.id}: `;
    if ((m.progressDetail || m.progress) && this.isTerminal) s += `${m.status ?? ''} ${bar}${endl}`;
    else if (m.stream !== undefined) s += `${m.stream}${endl}`;
    else s += `${m.status ?? ''}${endl}\n`;
    this.out.write(s);
  }
}
