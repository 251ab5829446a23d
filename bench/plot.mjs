// The throughput plot, as a hand-written SVG: successes per second and the concurrency limit over
// time in the cold burst against fixed windows (cell burst/windows), the gateway against the SDK
// behind pLimit(16), with the ideal client's throughput (T*) for reference.
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { throughput } from './metrics.mjs';

const W = 920;
const H = 600;
const M = { left: 64, right: 24, top: 56, gap: 64, bottom: 72 };
const COLORS = { gateway: '#1f6feb', 'sdk-plimit': '#d9730d', ideal: '#6e7781' };
const LABELS = { gateway: 'gateway (default settings)', 'sdk-plimit': 'SDK + pLimit(16)' };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A "nice" tick step for a range. */
function step(max, target = 6) {
  const raw = max / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
}

/** Points [x, y] as a step path ("after" steps). */
function stepPath(points, x, y) {
  let d = '';
  points.forEach(([px, py], i) => {
    d += i === 0 ? `M${x(px).toFixed(1)},${y(py).toFixed(1)}` : `H${x(px).toFixed(1)}V${y(py).toFixed(1)}`;
  });
  return d;
}

function linePath(points, x, y) {
  return points.map(([px, py], i) => `${i ? 'L' : 'M'}${x(px).toFixed(1)},${y(py).toFixed(1)}`).join('');
}

/** Successes per second, as the mean over a 1 s window ending at each 250 ms point. */
function smoothed(bins) {
  return bins.map((b, i) => {
    const from = Math.max(0, i - 3);
    const window = bins.slice(from, i + 1);
    return [b.tMs / 1000, window.reduce((a, w) => a + w.perSecond, 0) / 4];
  });
}

/**
 * Writes the SVG for the kept burst runs (`runs.gateway`, `runs['sdk-plimit']`) and returns the file name.
 */
export function writePlot(file, runs, cell) {
  const bound = cell.bound(runs.gateway.seed);
  const sim = cell.sim(runs.gateway.seed);
  const rps = sim.requestsPerMinute / 60;
  const serviceMs = sim.latency.ttftMs + sim.latency.msPerToken * sim.outputTokens;
  const needed = (rps * serviceMs) / 1000;
  const names = ['sdk-plimit', 'gateway'];
  const series = Object.fromEntries(names.map((n) => [n, smoothed(throughput(runs[n]))]));
  const curve = bound.curve;
  // The best client's completions in the same 250 ms bins and 1 s moving mean as the runs.
  const ideal = smoothed(
    curve.slice(1).map((c, i) => ({
      tMs: c.tMs,
      perSecond: ((c.completed - curve[i].completed) * 1000) / (c.tMs - curve[i].tMs),
    })),
  );
  const ends = Object.fromEntries(
    names.map((n) => [n, Math.max(...runs[n].calls.map((c) => c.settle)) / 1000]),
  );
  const tMax = Math.ceil(Math.max(...Object.values(ends), bound.ms / 1000) + 0.5);
  const limitPts = (run) =>
    run.samples.filter((s) => s.limit !== undefined).map((s) => [s.tMs / 1000, s.limit]);
  const gLimit = limitPts(runs.gateway);
  const pLimit = limitPts(runs['sdk-plimit']);

  const plotW = W - M.left - M.right;
  const panelH = (H - M.top - M.gap - M.bottom) / 2;
  const top1 = M.top;
  const top2 = M.top + panelH + M.gap;
  const x = (t) => M.left + (t / tMax) * plotW;
  const yMax1 = Math.max(rps * 1.15, ...Object.values(series).flatMap((s) => s.map(([, v]) => v))) * 1.05;
  const yMax2 = Math.max(...gLimit.map(([, v]) => v), ...pLimit.map(([, v]) => v), needed) * 1.25;
  const y1 = (v) => top1 + panelH - (v / yMax1) * panelH;
  const y2 = (v) => top2 + panelH - (v / yMax2) * panelH;

  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(
    `<text x="${M.left}" y="24" font-size="16" font-weight="bold">${esc(`Cold-start burst: ${cell.n} calls, ${rps} requests/s limit, acceleration limit (1 s windows, floor 20, ×2)`)}</text>`,
  );
  out.push(
    `<text x="${M.left}" y="42" fill="#57606a">${esc('Repetition 0 (seed 1000). Top: successes per second (1 s moving mean). Bottom: concurrency limit. Vertical lines: last call done.')}</text>`,
  );

  const axes = (top, yMax, y, label) => {
    const s = step(yMax);
    for (let v = 0; v <= yMax; v += s) {
      out.push(
        `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eaeef2"/>`,
      );
      out.push(
        `<text x="${M.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end" fill="#57606a">${+v.toFixed(2)}</text>`,
      );
    }
    const ts = step(tMax, 12);
    for (let t = 0; t <= tMax + 1e-9; t += ts) {
      out.push(
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${top + panelH}" stroke="#f3f4f6"/>`,
      );
      out.push(
        `<text x="${x(t).toFixed(1)}" y="${top + panelH + 16}" text-anchor="middle" fill="#57606a">${+t.toFixed(2)}</text>`,
      );
    }
    out.push(
      `<rect x="${M.left}" y="${top}" width="${plotW}" height="${panelH}" fill="none" stroke="#8c959f"/>`,
    );
    out.push(
      `<text transform="translate(${M.left - 46},${top + panelH / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text>`,
    );
  };
  axes(top1, yMax1, y1, 'successes / s');
  axes(top2, yMax2, y2, 'concurrency limit');
  out.push(
    `<text x="${M.left + plotW / 2}" y="${H - 34}" text-anchor="middle">time since the burst (s)</text>`,
  );

  // Top panel: the rate limit, the best client, the two strategies.
  out.push(
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y1(rps)}" y2="${y1(rps)}" stroke="#cf222e" stroke-dasharray="2,3"/>`,
  );
  out.push(
    `<text x="${M.left + plotW - 4}" y="${y1(rps) - 5}" text-anchor="end" fill="#cf222e">rate limit ${rps}/s</text>`,
  );
  out.push(
    `<path d="${linePath(ideal, x, y1)}" fill="none" stroke="${COLORS.ideal}" stroke-width="1.5" stroke-dasharray="6,4"/>`,
  );
  for (const n of names)
    out.push(`<path d="${linePath(series[n], x, y1)}" fill="none" stroke="${COLORS[n]}" stroke-width="2"/>`);
  out.push(
    `<line x1="${x(bound.ms / 1000)}" x2="${x(bound.ms / 1000)}" y1="${top1}" y2="${top2 + panelH}" stroke="${COLORS.ideal}" stroke-dasharray="6,4"/>`,
  );
  // Labels of the vertical lines, in the gap between the panels, left to right.
  const marks = [
    [bound.ms / 1000, COLORS.ideal, `T* ${(bound.ms / 1000).toFixed(2)} s`],
    ...names.map((n) => [ends[n], COLORS[n], `${LABELS[n]}: ${ends[n].toFixed(2)} s`]),
  ];
  marks.sort((a, b) => a[0] - b[0]);
  marks.forEach(([t, color, text], i) => {
    const right = x(t) > M.left + plotW * 0.6;
    out.push(
      `<text x="${x(t) + (right ? -4 : 4)}" y="${top2 - 30 + 13 * i}" fill="${color}" font-size="11"${right ? ' text-anchor="end"' : ''}>${esc(text)}</text>`,
    );
  });
  for (const n of names)
    out.push(
      `<line x1="${x(ends[n])}" x2="${x(ends[n])}" y1="${top1}" y2="${top2 + panelH}" stroke="${COLORS[n]}" stroke-width="1"/>`,
    );

  // Bottom panel: r·S needed, the fixed limit, the gateway's limit.
  out.push(
    `<line x1="${M.left}" x2="${M.left + plotW}" y1="${y2(needed)}" y2="${y2(needed)}" stroke="#cf222e" stroke-dasharray="2,3"/>`,
  );
  out.push(
    `<text x="${M.left + plotW - 4}" y="${y2(needed) - 5}" text-anchor="end" fill="#cf222e">r·S = ${needed} in flight reach the rate limit</text>`,
  );
  out.push(
    `<path d="${stepPath(pLimit, x, y2)}" fill="none" stroke="${COLORS['sdk-plimit']}" stroke-width="2"/>`,
  );
  out.push(`<path d="${stepPath(gLimit, x, y2)}" fill="none" stroke="${COLORS.gateway}" stroke-width="2"/>`);

  // Legend.
  const legend = [
    [COLORS.gateway, LABELS.gateway, ''],
    [COLORS['sdk-plimit'], LABELS['sdk-plimit'], ''],
    [COLORS.ideal, 'ideal client (T*)', '6,4'],
  ];
  legend.forEach(([color, text, dash], i) => {
    const lx = M.left + i * 250;
    const ly = H - 12;
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
    out.push(`<text x="${lx + 34}" y="${ly}">${esc(text)}</text>`);
  });
  out.push('</svg>');
  writeFileSync(file, out.join('\n') + '\n');
  return basename(file);
}
