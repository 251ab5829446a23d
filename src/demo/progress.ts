/**
 * What the demo prints, as pure functions of plain state: the live status line and the summary.
 * @module
 */

/** The live view, sampled while the burst runs. */
export interface LiveState {
  readonly elapsedMs: number;
  readonly total: number;
  /** Calls finished, successful or not. */
  readonly done: number;
  readonly failed: number;
  /** Concurrency slots held, summed over models. */
  readonly inFlight: number;
  /** Calls waiting for a slot. */
  readonly queued: number;
  /** The concurrency limit now (the largest, if several models). */
  readonly limit: number;
  /** Retries so far, by `claude_gateway.retry.reason`. */
  readonly retries: Readonly<Record<string, number>>;
  readonly status429: number;
  readonly status529: number;
}

/** What one side saw: the gateway's attempt spans, or the simulator's own statistics. */
export interface Observed {
  readonly attempts: number;
  readonly status429: number;
  /** 429s with `ramp_limit_exceeded` (acceleration limit). */
  readonly rampLimit: number;
  readonly status529: number;
  /** `event: error`s and cuts after HTTP 200. */
  readonly midStream: number;
}

export interface SummaryData {
  /** `simulator, scenario demo` or `the Claude API at https://api.anthropic.com`. */
  readonly against: string;
  readonly model: string;
  readonly calls: number;
  readonly streams: number;
  readonly ok: number;
  readonly failed: number;
  /** Calls aborted by Ctrl+C (the run was interrupted when this is above 0). */
  readonly aborted: number;
  /** Failed calls by error class (`RateLimitError`, …). */
  readonly failures: Readonly<Record<string, number>>;
  /** Streams the demo started again after an error that came after content. */
  readonly streamRestarts: number;
  readonly makespanMs: number;
  readonly peakLimit: number;
  /** Latency of each successful call, queue and waits included. */
  readonly latenciesMs: readonly number[];
  /** Retries by reason, from the attempt spans. */
  readonly retries: Readonly<Record<string, number>>;
  /** From the attempt spans; undefined when no spans were made (OTEL_SDK_DISABLED). */
  readonly gateway: Observed | undefined;
  /** From the simulator; undefined with the real API. */
  readonly simulator: Observed | undefined;
  readonly telemetry: {
    readonly exporting: boolean;
    readonly endpoint: string;
    readonly serviceName: string;
  };
}

export function sum(record: Readonly<Record<string, number>>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

/** `rate_limit 12, overloaded 9`: largest first, then by name. */
export function formatCounts(record: Readonly<Record<string, number>>): string {
  return Object.entries(record)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The nearest-rank percentile `p` (0–100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** Cuts `line` to `width` characters (a wrapped line cannot be redrawn with `\r`). */
export function fit(line: string, width: number | undefined): string {
  if (width === undefined || width < 2 || line.length < width) return line;
  return `${line.slice(0, width - 2)}…`;
}

/** Wraps `text` at spaces into lines of at most `width` characters, each after `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(indent + line);
  return lines;
}

/** One status line. */
export function renderLive(s: LiveState): string {
  const retries = sum(s.retries);
  const parts = [
    `${formatSeconds(s.elapsedMs).padStart(7)}`,
    `${s.done}/${s.total} done${s.failed > 0 ? ` (${s.failed} failed)` : ''}`,
    `${s.inFlight} in flight, limit ${s.limit}, ${s.queued} queued`,
    `retries ${retries}${retries > 0 ? ` (${formatCounts(s.retries)})` : ''}`,
    `429s ${s.status429}`,
    `529s ${s.status529}`,
  ];
  return parts.join(' · ');
}

function row(label: string, value: string): string {
  return `  ${label.padEnd(24)}${value}`;
}

function observedTable(gateway: Observed | undefined, simulator: Observed | undefined): string[] {
  const columns = [
    ...(gateway ? [['gateway spans', gateway] as const] : []),
    ...(simulator ? [['simulator', simulator] as const] : []),
  ];
  if (columns.length === 0) return [];
  const rows: ReadonlyArray<readonly [string, keyof Observed]> = [
    ['attempts sent', 'attempts'],
    ['429 rate_limit_error', 'status429'],
    ['  ramp_limit_exceeded', 'rampLimit'],
    ['529 overloaded_error', 'status529'],
    ['mid-stream errors', 'midStream'],
  ];
  const head = `  ${''.padEnd(24)}${columns.map(([name]) => name.padStart(15)).join('')}`;
  return [
    '',
    head,
    ...rows.map(([label, key]) => row(label, columns.map(([, o]) => String(o[key]).padStart(15)).join(''))),
  ];
}

function jaegerLines(t: SummaryData['telemetry']): string[] {
  if (!t.exporting) {
    return [
      '',
      `No collector answered at ${t.endpoint}, so this run's traces were not exported. To see them in Jaeger:`,
      '  docker compose up -d     # the OpenTelemetry Collector and Jaeger (README: "See the retries")',
      '  npm start                # run the demo again: it finds the collector and exports',
    ];
  }
  return [
    '',
    `What to look at in Jaeger (traces were exported to ${t.endpoint})`,
    `  1. Open http://localhost:16686, service ${t.serviceName}. The collector decides 30 s after a`,
    '     trace starts, so the last calls show up about half a minute after the run.',
    '  2. Search Tags  error.type=rate_limit_error  for the calls that met a rate limit, and',
    '     claude_gateway.retry.delay_source=retry-after  for the waits that obeyed the API.',
    '  3. Open a trace with several POST /v1/messages spans: the claude_gateway.backoff bars between',
    '     them are the waits; each attempt carries claude_gateway.retry.reason and delay_ms.',
    `  4. node scripts/verify-jaeger.mjs${t.serviceName === 'claude-otel-gateway-demo' ? '' : ` --service ${t.serviceName}`}   checks that the retried calls arrived whole.`,
  ];
}

/** The summary printed at the end. */
export function renderSummary(d: SummaryData): string[] {
  const retries = sum(d.retries);
  const finished = d.ok + d.failed;
  const attempts = d.gateway?.attempts ?? d.simulator?.attempts;
  const headline =
    d.aborted > 0 ?
      `Interrupted after ${formatSeconds(d.makespanMs)}: ${d.ok} calls ok, ${d.failed} failed, ${d.aborted} aborted.`
    : d.failed === 0 ?
      `All ${d.calls} calls succeeded, surviving ${retries} ${retries === 1 ? 'retry' : 'retries'}.`
    : `${d.ok} of ${d.calls} calls succeeded and ${d.failed} failed, after ${retries} ${retries === 1 ? 'retry' : 'retries'}.`;
  const p50 = percentile(d.latenciesMs, 50);
  const p99 = percentile(d.latenciesMs, 99);
  const lines = [
    '',
    headline,
    '',
    `Summary: ${d.calls} calls (${d.streams} streamed) to ${d.model}, ${d.against}`,
    row('calls ok / failed', `${d.ok} / ${d.failed}${d.aborted > 0 ? ` (${d.aborted} aborted)` : ''}`),
    ...(d.failed > 0 ? [row('failures by error', formatCounts(d.failures))] : []),
    row('makespan', formatSeconds(d.makespanMs)),
    ...(attempts !== undefined ?
      [row('attempts sent', `${attempts} (${(attempts / Math.max(1, finished)).toFixed(2)} per call)`)]
    : []),
    row('retries', retries > 0 ? `${retries}: ${formatCounts(d.retries)}` : '0'),
    ...(d.streamRestarts > 0 ?
      [
        row(
          'streams restarted',
          `${d.streamRestarts} (an error after content: the gateway never replays those)`,
        ),
      ]
    : []),
    row('peak concurrency limit', String(d.peakLimit)),
    row(
      'latency p50 / p99',
      Number.isNaN(p50) ? 'n/a' : `${formatSeconds(p50)} / ${formatSeconds(p99)} (queue and waits included)`,
    ),
    ...observedTable(d.gateway, d.simulator),
    ...jaegerLines(d.telemetry),
  ];
  return lines;
}
