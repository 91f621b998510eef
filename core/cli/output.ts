/**
 * How the CLI prints: tab-aligned tables like Go's tabwriter (three spaces
 * of padding), Docker's human sizes and durations, short ids, and a minimal
 * `--format` template (`{{.Field}}`, `{{.A.B}}`, `{{json .X}}`, `json`).
 */

/** Prints rows as aligned columns; the last column is not padded. */
export function table(rows: string[][]): string {
  if (rows.length === 0) return '';
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 0, c.length); });
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] + 3))).join('').trimEnd()).join('\n') + '\n';
}

/** Docker's units.HumanSize: decimal units, four significant digits (`1.23MB`, `512B`). */
export function humanSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < units.length - 1) { size /= 1000; i++; }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/** Docker's units.BytesSize: binary units (`1.5MiB`). */
export function bytesSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let size = bytes;
  let i = 0;
  while (size >= 1024 && i < units.length - 1) { size /= 1024; i++; }
  return `${Number(size.toPrecision(4))}${units[i]}`;
}

/** Docker's units.HumanDuration (`Less than a second`, `About a minute`, `3 hours`). */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.floor(ms / 3600000 + 0.5);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(ms / 3600000 / 24 / 365)} years`;
}

/** `5 minutes ago` from a unix time in seconds (or an RFC 3339 string). */
export function ago(t: number | string | undefined, now = Date.now()): string {
  if (t === undefined || t === '' || t === 0) return '';
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  if (Number.isNaN(ms) || ms <= 0) return '';
  return `${humanDuration(now - ms)} ago`;
}

/** The 12-hex short form of an id, without any `sha256:` prefix. */
export function shortId(id: string, noTrunc = false): string {
  const bare = id.startsWith('sha256:') ? id.slice(7) : id;
  return noTrunc ? id : bare.slice(0, 12);
}

/** Truncates with an ellipsis as `docker ps` does for COMMAND. */
export function ellipsis(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function lookup(obj: unknown, pathExpr: string): unknown {
  if (pathExpr === '.') return obj;
  let cur: unknown = obj;
  for (const key of pathExpr.split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'object') {
    if (Array.isArray(v)) return `[${v.map(show).join(' ')}]`;
    return `map[${Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)).map(([k, x]) => `${k}:${show(x)}`).join(' ')}]`;
  }
  return String(v);
}

/**
 * Renders a small subset of Go templates against `obj`: `{{.A.B}}`,
 * `{{json .A}}`, `{{.}}`, and `\t`/`\n` escapes; `json` alone prints the
 * object as one line of JSON. Unknown actions render as `<no value>`.
 */
export function renderTemplate(tpl: string, obj: unknown): string {
  if (tpl.trim() === 'json' || tpl.trim() === '{{json .}}') return JSON.stringify(obj);
  const text = tpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return text.replace(/\{\{\s*(json\s+)?(\.[A-Za-z0-9_.]*)\s*\}\}/g, (_m, json: string | undefined, p: string) => {
    const v = lookup(obj, p);
    return json ? JSON.stringify(v ?? null) : show(v);
  });
}

/** Writes a string to stdout (no newline added). */
export function out(s: string): void {
  process.stdout.write(s);
}
