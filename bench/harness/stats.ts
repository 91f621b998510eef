/** Medians, minima and maxima of samples, and the table the harness prints. */

export interface Summary { median: number; min: number; max: number; n: number }

export function summarise(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN, n };
}

export interface Row {
  scenario: string; unit: string; berth: Summary; docker: Summary | null; goal?: number;
  /** Every sample per engine, in run order (for the JSON line). */
  samples?: Record<string, number[]>;
}

const fmt = (x: number): string => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');

/** A Markdown table: medians with [min–max], and the ratio berth/dockerd against the goal. */
export function table(rows: Row[]): string {
  const head = '| scenario | unit | berth median [min–max] | dockerd median [min–max] | berth/dockerd | goal |\n|---|---|---|---|---|---|';
  const lines = rows.map((r) => {
    const ratio = r.docker ? r.berth.median / r.docker.median : NaN;
    const goal = r.goal === undefined ? '' : `≤ ${r.goal}${Number.isFinite(ratio) ? (ratio <= r.goal ? ' ✓' : ' ✗') : ''}`;
    const d = r.docker ? `${fmt(r.docker.median)} [${fmt(r.docker.min)}–${fmt(r.docker.max)}]` : 'not run';
    return `| ${r.scenario} | ${r.unit} | ${fmt(r.berth.median)} [${fmt(r.berth.min)}–${fmt(r.berth.max)}] | ${d} | ${Number.isFinite(ratio) ? ratio.toFixed(2) : '—'} | ${goal} |`;
  });
  return [head, ...lines].join('\n');
}
