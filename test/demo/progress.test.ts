/** The demo's pure rendering: the live line and the summary. */
import { describe, expect, it } from 'vitest';
import {
  fit,
  formatCounts,
  percentile,
  renderLive,
  renderSummary,
  wrap,
  type SummaryData,
} from '../../src/demo/progress.js';

const LIVE = {
  elapsedMs: 12_345,
  total: 360,
  done: 143,
  failed: 0,
  inFlight: 12,
  queued: 205,
  limit: 16,
  retries: { ramp_limit: 5, rate_limit: 12, overloaded: 9 },
  status429: 17,
  status529: 9,
};

const SUMMARY: SummaryData = {
  against: 'simulator, scenario demo',
  model: 'claude-sonnet-5',
  calls: 360,
  streams: 144,
  ok: 360,
  failed: 0,
  aborted: 0,
  failures: {},
  streamRestarts: 2,
  makespanMs: 41_800,
  peakLimit: 78,
  latenciesMs: Array.from({ length: 100 }, (_, i) => (i + 1) * 100),
  retries: { overloaded: 21, ramp_limit: 11, api_error: 6, rate_limit: 1 },
  gateway: { attempts: 401, status429: 12, rampLimit: 11, status529: 21, midStream: 2 },
  simulator: { attempts: 401, status429: 12, rampLimit: 11, status529: 21, midStream: 2 },
  telemetry: { exporting: true, endpoint: 'http://localhost:4318', serviceName: 'claude-otel-gateway-demo' },
};

describe('renderLive', () => {
  it('shows done of total, in flight, the limit, retries by reason, 429s and 529s', () => {
    expect(renderLive(LIVE)).toBe(
      ' 12.3 s · 143/360 done · 12 in flight, limit 16, 205 queued · retries 26 (rate_limit 12, overloaded 9, ramp_limit 5) · 429s 17 · 529s 9',
    );
  });

  it('mentions failures only when there are some, and no reasons before the first retry', () => {
    const quiet = renderLive({ ...LIVE, retries: {}, failed: 0 });
    expect(quiet).toContain('retries 0 ·');
    expect(quiet).not.toContain('failed');
    expect(renderLive({ ...LIVE, failed: 3 })).toContain('143/360 done (3 failed)');
  });
});

describe('helpers', () => {
  it('formatCounts puts the largest first, ties by name, and drops zeros', () => {
    expect(formatCounts({ b: 2, a: 2, c: 5, d: 0 })).toBe('c 5, a 2, b 2');
    expect(formatCounts({})).toBe('');
  });

  it('percentile is nearest-rank and NaN for no values', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('fit cuts a line to the terminal width so a redraw never wraps', () => {
    expect(fit('abcdef', 4)).toBe('ab…');
    expect(fit('abc', 4)).toBe('abc');
    expect(fit('abcdef', undefined)).toBe('abcdef');
  });
});

describe('renderSummary', () => {
  const text = (d: SummaryData) => renderSummary(d).join('\n');

  it('leads with the retries survived and tabulates what the gateway and the simulator saw', () => {
    const out = text(SUMMARY);
    for (const line of [
      'All 360 calls succeeded, surviving 39 retries.',
      'calls ok / failed       360 / 0',
      'makespan                41.8 s',
      'attempts sent           401 (1.11 per call)',
      'retries                 39: overloaded 21, ramp_limit 11, api_error 6, rate_limit 1',
      'streams restarted       2',
      'peak concurrency limit  78',
      'latency p50 / p99       5.0 s / 9.9 s',
    ]) {
      expect(out).toContain(line);
    }
    for (const row of [
      /gateway spans\s+simulator/,
      /429 rate_limit_error\s+12\s+12/,
      /ramp_limit_exceeded\s+11\s+11/,
      /529 overloaded_error\s+21\s+21/,
      /mid-stream errors\s+2\s+2/,
    ]) {
      expect(out).toMatch(row);
    }
    expect(out).not.toContain('failures by error');
  });

  it('says what to look at in Jaeger when the traces were exported', () => {
    const out = text(SUMMARY);
    const pointers = [
      'What to look at in Jaeger',
      'http://localhost:16686, service claude-otel-gateway-demo',
      'error.type=rate_limit_error',
      'claude_gateway.retry.delay_source=retry-after',
      'POST /v1/messages',
      'claude_gateway.backoff',
      'node scripts/verify-jaeger.mjs ',
    ];
    for (const pointer of pointers) expect(out).toContain(pointer);
    expect(text({ ...SUMMARY, telemetry: { ...SUMMARY.telemetry, serviceName: 'mine' } })).toContain(
      'node scripts/verify-jaeger.mjs --service mine',
    );
  });

  it('says how to rerun with a collector when none answered', () => {
    const out = text({ ...SUMMARY, telemetry: { ...SUMMARY.telemetry, exporting: false } });
    expect(out).toContain(
      "No collector answered at http://localhost:4318, so this run's traces were not exported.",
    );
    expect(out).toContain('docker compose up -d');
    expect(out).not.toContain('What to look at in Jaeger');
  });

  it('counts failures by error class, and interruptions', () => {
    const failed = text({ ...SUMMARY, ok: 350, failed: 10, failures: { RateLimitError: 10 } });
    expect(failed).toContain('350 of 360 calls succeeded and 10 failed, after 39 retries.');
    expect(failed).toContain('failures by error       RateLimitError 10');
    const stopped = text({ ...SUMMARY, ok: 12, aborted: 348 });
    expect(stopped).toContain('Interrupted after 41.8 s: 12 calls ok, 0 failed, 348 aborted.');
    expect(stopped).toContain('12 / 0 (348 aborted)');
  });

  it('without a simulator (the real API) or without spans, shows the one column there is', () => {
    const real = text({ ...SUMMARY, against: 'the real Claude API', simulator: undefined, retries: {} });
    expect(real).toMatch(/gateway spans\n/);
    expect(real).not.toContain('simulator  ');
    expect(real).toContain('surviving 0 retries');
    const noSpans = text({ ...SUMMARY, gateway: undefined });
    expect(noSpans).toMatch(/^\s+simulator$/m);
    expect(noSpans).toContain('attempts sent           401');
    expect(text({ ...SUMMARY, latenciesMs: [] })).toContain('latency p50 / p99       n/a');
  });
});

describe('wrap', () => {
  it('breaks at spaces within the width, after the indent', () => {
    expect(wrap('one two three four', 11, '  ')).toEqual(['  one two', '  three', '  four']);
    expect(wrap('averyveryverylongword x', 5)).toEqual(['averyveryverylongword', 'x']);
    expect(wrap('', 10)).toEqual([]);
  });
});
