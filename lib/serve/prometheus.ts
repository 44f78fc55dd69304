/**
 * Prometheus text exposition format (version 0.0.4), the subset a server needs: counters, gauges
 * and histograms, each family with its HELP and TYPE lines, label values and help text escaped as
 * the format says (backslash, double quote and newline in label values; backslash and newline in
 * help). https://prometheus.io/docs/instrumenting/exposition_formats/
 * @internal
 */

/** The content type of the text format, for an HTTP response. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Prometheus's default histogram buckets (seconds). */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Appended to the family name (`_bucket`, `_sum`, `_count` for histograms). */
  suffix?: string;
  labels?: Labels;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  samples: readonly Sample[];
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A sample value: Go's float syntax, with +Inf, -Inf and NaN spelled as Prometheus reads them. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys
    .map((k) => {
      if (!LABEL_RE.test(k) || k.startsWith('__')) throw new Error(`prometheus: invalid label name ${JSON.stringify(k)}`);
      return `${k}="${escapeLabel(labels[k])}"`;
    })
    .join(',')}}`;
}

/** The exposition text of the families, in order; a family without samples writes only HELP and TYPE. */
export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (!NAME_RE.test(f.name)) throw new Error(`prometheus: invalid metric name ${JSON.stringify(f.name)}`);
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) lines.push(`${f.name}${s.suffix ?? ''}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A cumulative histogram over fixed upper bounds, as Prometheus histograms are. */
export class Histogram {
  readonly bounds: readonly number[];
  readonly #counts: Float64Array;
  #sum = 0;
  #count = 0;

  /** `bounds`: increasing finite upper bounds; +Inf is implied. */
  constructor(bounds: readonly number[]) {
    this.bounds = [...bounds];
    this.#counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    this.#sum += value;
    this.#count++;
    // Bucket i counts observations ≤ bounds[i]; cumulated when written.
    for (let i = 0; i < this.bounds.length; i++) {
      if (value <= this.bounds[i]) {
        this.#counts[i]++;
        return;
      }
    }
  }

  get count(): number {
    return this.#count;
  }

  get sum(): number {
    return this.#sum;
  }

  /** The `_bucket`, `_sum` and `_count` samples. */
  samples(labels: Labels = {}): Sample[] {
    const out: Sample[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.#counts[i];
      out.push({ suffix: '_bucket', labels: { ...labels, le: formatValue(le) }, value: cumulative });
    });
    out.push({ suffix: '_bucket', labels: { ...labels, le: '+Inf' }, value: this.#count });
    out.push({ suffix: '_sum', labels, value: this.#sum });
    out.push({ suffix: '_count', labels, value: this.#count });
    return out;
  }
}
