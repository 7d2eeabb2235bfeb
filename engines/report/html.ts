/**
 * `--format html`: one self-contained page for people — inline CSS and inline SVG charts, no script, and nothing
 * fetched from anywhere (a Content-Security-Policy of `default-src 'none'` says so to the browser as well). Per pair:
 * the latency distribution, RPO compliance by day, the backlog's age (status), failures by reason and class with
 * their fix hints, and the reconcile counts (reconcile).
 *
 * Every string from the input (bucket names, keys, version IDs, reasons) goes through `text()`: HTML-escaped, and
 * control, line-separator and bidirectional-override characters shown as `\uXXXX`, so a hostile key can neither add
 * markup nor reorder what is shown. Long lists are capped (the count of what is left out is stated; the JSON has
 * everything), so that a large report stays well under 2 MB.
 */
import type { LatencySummary, ReplicationReport, SloFigures, SloPair, SloReport } from '../../lambda/core';
import { LATENCY_BUCKET_SECONDS } from '../../lambda/core/statistics';
import { describeFailure } from './failure-hints';

/** One pair's backlog as `status` reports it (bin/support/live-report.ts). */
interface BacklogRow {
  readonly source: string;
  readonly destination: string;
  readonly pending: number;
  readonly oldestPendingSeconds: number | null;
  readonly pendingAgeSeconds: { readonly p50: number | null; readonly p90: number | null };
  readonly pendingBytes: number;
}

/** The reconcile report's counts (docs/report-schema.md, "Reconcile report"). */
interface ReconcileCounts {
  readonly pairs: readonly ({
    readonly source: string;
    readonly destination: string;
    readonly deleteMarkers?: Readonly<Record<string, number>>;
  } & Readonly<Record<string, unknown>>)[];
  readonly inventories?: readonly {
    readonly bucket: string;
    readonly createdAt: string;
    readonly format: string;
    readonly files: number;
    readonly rows: number;
  }[];
}

export interface HtmlReportInput {
  /** The page's title and first heading. */
  readonly title: string;
  /** analyze's / status's report; its `slo` is shown unless `slo` is given. */
  readonly replication?: ReplicationReport;
  /** Completed versions per latency bucket by `source>destination` (the report detail's `latencyHistogram`). */
  readonly latencyHistogram?: ReadonlyMap<string, readonly number[]>;
  readonly slo?: SloReport;
  /** status's backlog. */
  readonly backlog?: readonly BacklogRow[];
  readonly reconcile?: ReconcileCounts;
}

/** Caps: what a page shows at most (the JSON has all). */
export const HTML_LIMITS = {
  pairSections: 25,
  summaryRows: 500,
  dayRows: 31,
  failureReasons: 10,
  examples: 3,
  overdue: 10,
  /** Characters of a key shown (S3 allows 1,024 bytes; each may escape to six). */
  keyChars: 120,
} as const;

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Any string from the input, safe as element text and as a quoted attribute value. */
function text(value: string): string {
  return value.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A key, escaped, cut to `HTML_LIMITS.keyChars` characters (whole code points) with an ellipsis. */
function keyText(key: string): string {
  const chars = Array.from(key);
  return chars.length <= HTML_LIMITS.keyChars ? text(key) : `${text(chars.slice(0, HTML_LIMITS.keyChars).join(''))}…`;
}

const num = (n: number) => n.toLocaleString('en-US');
const secs = (s: number | null) => (s === null ? '–' : duration(s));
/** Rounded down, three decimals at most: 99.996 % never reads as 100 %. */
const pct = (p: number | null) => (p === null ? '–' : `${Number((Math.floor(p * 1000) / 1000).toFixed(3))} %`);

function duration(seconds: number): string {
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  if (seconds < 3600) return `${Number((seconds / 60).toFixed(1))} min`;
  if (seconds < 172_800) return `${Number((seconds / 3600).toFixed(1))} h`;
  return `${Number((seconds / 86_400).toFixed(1))} d`;
}

/** A bucket edge on an axis: 15s, 5m, 6h. */
function short(seconds: number): string {
  return seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${seconds / 60}m` : `${seconds / 3600}h`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

const pairId = (p: { source: string; destination: string }) => `${p.source}>${p.destination}`;
const pairName = (p: { source: string; destination: string }) => `${text(p.source)} → ${text(p.destination)}`;

function tableHtml(caption: string, header: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number>): string {
  const th = header.map((h, i) => `<th${numeric.has(i) ? ' class="n"' : ''}>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<table><caption>${caption}</caption><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const more = (left: number, what: string) => (left > 0 ? `<p class="more">… and ${num(left)} more ${what} (the JSON lists all)</p>` : '');

// ---- charts ----------------------------------------------------------------------------------------------------

const CHART_W = 640;
const CHART_H = 180;
const PAD = { left: 48, right: 8, top: 10, bottom: 34 };

/** Latency histogram: one bar per fixed bucket, the objective's bucket edge marked. */
function latencyChart(counts: readonly number[], objectiveSeconds: number | undefined, label: string): string {
  const n = counts.length;
  const max = Math.max(1, ...counts);
  const w = (CHART_W - PAD.left - PAD.right) / n;
  const h = CHART_H - PAD.top - PAD.bottom;
  const last = LATENCY_BUCKET_SECONDS[LATENCY_BUCKET_SECONDS.length - 1];
  const names = [...LATENCY_BUCKET_SECONDS.map((s) => `≤${duration(s)}`), `>${duration(last)}`];
  const ticks = [...LATENCY_BUCKET_SECONDS.map(short), `>${short(last)}`];
  const bars = counts
    .map((c, i) => {
      const bh = (c / max) * h;
      const x = PAD.left + i * w;
      const late = objectiveSeconds !== undefined && i > 0 && LATENCY_BUCKET_SECONDS[i - 1] >= objectiveSeconds;
      return (
        `<rect class="${late ? 'bar late' : 'bar'}" x="${(x + 2).toFixed(1)}" y="${(PAD.top + h - bh).toFixed(1)}" width="${(w - 4).toFixed(1)}" height="${bh.toFixed(1)}"><title>${names[i]}: ${num(c)}</title></rect>` +
        `<text class="tick" x="${(x + w / 2).toFixed(1)}" y="${CHART_H - PAD.bottom + 14}" text-anchor="middle">${ticks[i]}</text>`
      );
    })
    .join('');
  return svg(label, `${axes(max, h)}${bars}`);
}

/** RPO compliance by day: a bar per day (height = % within), coloured by how far from 100 %. */
function dayChart(days: SloPair['days'], label: string): string {
  const h = CHART_H - PAD.top - PAD.bottom;
  const w = (CHART_W - PAD.left - PAD.right) / Math.max(1, days.length);
  // One path per colour keeps a year of days small (a rect each would be ten times the size).
  const paths: Record<'ok' | 'warn' | 'bad', string[]> = { ok: [], warn: [], bad: [] };
  days.forEach((d, i) => {
    const p = d.percentWithin ?? 0;
    const bh = Math.max(1, (p / 100) * h);
    const x = PAD.left + i * w + Math.min(1, w * 0.1);
    const kind = p === 100 ? 'ok' : p >= 99 ? 'warn' : 'bad';
    paths[kind].push(
      `M${x.toFixed(1)} ${(PAD.top + h).toFixed(1)}v${(-bh).toFixed(1)}h${Math.max(0.5, w - 2 * Math.min(1, w * 0.1)).toFixed(1)}v${bh.toFixed(1)}z`,
    );
  });
  const shapes = (Object.keys(paths) as (keyof typeof paths)[])
    .filter((k) => paths[k].length > 0)
    .map((k) => `<path class="day ${k}" d="${paths[k].join('')}"/>`)
    .join('');
  const first = days.length ? days[0].day : '';
  const last = days.length ? days[days.length - 1].day : '';
  const ticks =
    `<text class="tick" x="${PAD.left}" y="${CHART_H - PAD.bottom + 14}" text-anchor="start">${first}</text>` +
    (days.length > 1
      ? `<text class="tick" x="${CHART_W - PAD.right}" y="${CHART_H - PAD.bottom + 14}" text-anchor="end">${last}</text>`
      : '');
  return svg(label, `${percentAxes(h)}${shapes}${ticks}`);
}

/** Backlog age: oldest, p90 and p50 pending age as horizontal bars against the objective. */
function backlogChart(b: BacklogRow, objectiveSeconds: number | undefined, label: string): string {
  const values: [string, number | null][] = [
    ['oldest', b.oldestPendingSeconds],
    ['p90', b.pendingAgeSeconds.p90],
    ['p50', b.pendingAgeSeconds.p50],
  ];
  const max = Math.max(1, objectiveSeconds ?? 0, ...values.map(([, v]) => v ?? 0));
  const width = CHART_W - PAD.left - PAD.right - 80;
  const rows = values
    .map(([name, v], i) => {
      const y = PAD.top + i * 34;
      const bw = Math.max(v === null ? 0 : 1, ((v ?? 0) / max) * width);
      const late = objectiveSeconds !== undefined && (v ?? 0) > objectiveSeconds;
      return (
        `<text class="tick" x="${PAD.left - 6}" y="${y + 16}" text-anchor="end">${name}</text>` +
        `<rect class="${late ? 'bar late' : 'bar'}" x="${PAD.left}" y="${y}" width="${bw.toFixed(1)}" height="22"><title>${name}: ${secs(v)}</title></rect>` +
        `<text class="value" x="${(PAD.left + bw + 6).toFixed(1)}" y="${y + 16}">${secs(v)}</text>`
      );
    })
    .join('');
  const objective =
    objectiveSeconds !== undefined
      ? `<line class="objective" x1="${(PAD.left + (objectiveSeconds / max) * width).toFixed(1)}" x2="${(PAD.left + (objectiveSeconds / max) * width).toFixed(1)}" y1="${PAD.top - 4}" y2="${PAD.top + 3 * 34}"/>`
      : '';
  return svg(label, rows + objective, 130);
}

function axes(max: number, h: number): string {
  return (
    `<line class="axis" x1="${PAD.left}" x2="${CHART_W - PAD.right}" y1="${PAD.top + h}" y2="${PAD.top + h}"/>` +
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${num(max)}</text>` +
    `<text class="tick" x="${PAD.left - 6}" y="${PAD.top + h}" text-anchor="end">0</text>`
  );
}

function percentAxes(h: number): string {
  return [100, 50, 0]
    .map((p) => {
      const y = PAD.top + h - (p / 100) * h;
      return `<line class="grid" x1="${PAD.left}" x2="${CHART_W - PAD.right}" y1="${y}" y2="${y}"/><text class="tick" x="${PAD.left - 6}" y="${y + 4}" text-anchor="end">${p} %</text>`;
    })
    .join('');
}

function svg(label: string, body: string, height = CHART_H): string {
  return `<svg class="chart" role="img" aria-label="${label}" width="${CHART_W}" height="${height}" viewBox="0 0 ${CHART_W} ${height}" xmlns="http://www.w3.org/2000/svg"><title>${label}</title>${body}</svg>`;
}

// ---- sections --------------------------------------------------------------------------------------------------

type ReportPair = ReplicationReport['pairs'][number];

function figuresList(items: [string, string][]): string {
  return `<dl class="figures">${items.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

function latencyCells(l: LatencySummary): string[] {
  return [secs(l.p50), secs(l.p90), secs(l.p99), secs(l.max)];
}

function summaryTable(
  pairs: readonly { source: string; destination: string }[],
  input: HtmlReportInput,
  slo: SloReport | undefined,
): string {
  const report = new Map((input.replication?.pairs ?? []).map((p) => [pairId(p), p]));
  const rpo = new Map((slo?.pairs ?? []).map((p) => [pairId(p), p]));
  const shown = pairs.slice(0, HTML_LIMITS.summaryRows);
  const rows = shown.map((p) => {
    const r = report.get(pairId(p));
    const s = rpo.get(pairId(p));
    return [
      text(p.source),
      text(p.destination),
      r ? num(r.completed) : '–',
      r ? num(r.failed) : '–',
      r ? num(r.pending) : '–',
      r ? num(r.overdue) : '–',
      r ? bytes(r.bytes) : '–',
      ...(r ? latencyCells(r.latencySeconds) : ['–', '–', '–', '–']),
      s ? pct(s.percentWithin) : '–',
    ];
  });
  const header = [
    'Source',
    'Destination',
    'Completed',
    'Failed',
    'Pending',
    'Overdue',
    'Bytes',
    'p50',
    'p90',
    'p99',
    'Max',
    'Within objective',
  ];
  return tableHtml('Pairs', header, rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11])) + more(pairs.length - shown.length, 'pairs');
}

function sloFiguresCells(f: SloFigures): string[] {
  return [num(f.versions), num(f.withinObjective), num(f.missedObjective), pct(f.percentWithin), secs(f.worstSeconds)];
}

function rpoSection(p: SloPair, objectiveSeconds: number): string {
  const name = pairName(p);
  let days = p.days;
  let note = '';
  if (days.length > HTML_LIMITS.dayRows) {
    // The chart has every day; the table the days that did worst, in date order.
    const worst = new Set(
      [...days]
        .sort((a, b) => (a.percentWithin ?? 0) - (b.percentWithin ?? 0) || (a.day < b.day ? 1 : -1))
        .slice(0, HTML_LIMITS.dayRows)
        .map((d) => d.day),
    );
    days = days.filter((d) => worst.has(d.day));
    note = `<p class="more">The ${HTML_LIMITS.dayRows} days with the lowest share are listed; ${num(p.days.length - days.length)} more days are in the chart and the JSON.</p>`;
  }
  const rows = [['all days', ...sloFiguresCells(p)], ...days.map((d) => [d.day, ...sloFiguresCells(d)])];
  return (
    `<h3>RPO compliance by day (objective ${duration(objectiveSeconds)})</h3>` +
    figuresList([
      ['Within objective', pct(p.percentWithin)],
      ['Versions judged', num(p.versions)],
      ['Missed', num(p.missedObjective)],
      ['Worst', secs(p.worstSeconds)],
    ]) +
    (p.days.length
      ? dayChart(p.days, `RPO compliance by day, ${name}`) +
        '<p class="legend">Share of the day’s versions within the objective:<i class="ok"></i>100 %<i class="warn"></i>99 % or more<i class="bad"></i>below 99 %</p>'
      : '<p>No version counts yet.</p>') +
    tableHtml(
      `RPO by UTC day of the source write, ${name}`,
      ['Day', 'Versions', 'Within', 'Missed', '% within', 'Worst'],
      rows,
      new Set([1, 2, 3, 4, 5]),
    ) +
    note
  );
}

function failuresSection(pair: { source: string; destination: string }, failures: ReplicationReport['failures']): string {
  if (failures.length === 0) return '';
  const groups = new Map<string, { description: ReturnType<typeof describeFailure>; count: number; examples: string[] }>();
  for (const f of failures) {
    const description = describeFailure(f);
    const id = `${description.class}\u0000${description.reason}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { description, count: 0, examples: [] }));
    g.count++;
    if (g.examples.length < HTML_LIMITS.examples)
      g.examples.push(`<span class="key">${keyText(f.key)}</span> <span class="version key">${text(f.versionId)}</span>`);
  }
  const sorted = [...groups.values()].sort((a, b) => b.count - a.count || (a.description.reason < b.description.reason ? -1 : 1));
  const shown = sorted.slice(0, HTML_LIMITS.failureReasons);
  const rows = shown.map((g) => [
    `<span class="class ${g.description.class}">${text(g.description.class)}</span>`,
    text(g.description.reason),
    num(g.count),
    text(g.description.hint),
    `<div class="examples">${g.examples.join('<br>')}${g.count > g.examples.length ? `<br>… ${num(g.count - g.examples.length)} more` : ''}</div>`,
  ]);
  return (
    `<h3>Failures by reason (${num(failures.length)})</h3>` +
    tableHtml(`Failures of ${pairName(pair)} by class and reason`, ['Class', 'Reason', 'Versions', 'Fix', 'Examples'], rows, new Set([2])) +
    more(sorted.length - shown.length, 'reasons')
  );
}

function overdueSection(overdue: ReplicationReport['overdue']): string {
  if (overdue.length === 0) return '';
  const shown = overdue.slice(0, HTML_LIMITS.overdue);
  const rows = shown.map((o) => [
    `<span class="key">${keyText(o.key)}</span>`,
    `<span class="version key">${text(o.versionId)}</span>`,
    secs(o.pendingSeconds),
  ]);
  return (
    `<h3>Overdue (${num(overdue.length)})</h3>` +
    tableHtml('Overdue versions', ['Key', 'Version', 'Pending'], rows, new Set([2])) +
    more(overdue.length - shown.length, 'overdue versions')
  );
}

function backlogSection(b: BacklogRow, objectiveSeconds: number | undefined, name: string): string {
  return (
    '<h3>Backlog age</h3>' +
    figuresList([
      ['Pending', num(b.pending)],
      ['Oldest', secs(b.oldestPendingSeconds)],
      ['p90 age', secs(b.pendingAgeSeconds.p90)],
      ['Pending bytes', bytes(b.pendingBytes)],
    ]) +
    backlogChart(b, objectiveSeconds, `Backlog age, ${name}`)
  );
}

const RECONCILE_COUNTS = [
  'sourceVersions',
  'replicated',
  'sizeMismatch',
  'failed',
  'pending',
  'overdue',
  'notReplicated',
  'completedButMissing',
  'orphanReplicas',
  'destinationOnly',
] as const;

function reconcileSection(p: ReconcileCounts['pairs'][number]): string {
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? num(v) : '–');
  const rows = RECONCILE_COUNTS.map((k) => [k, count(p[k])]);
  for (const [k, v] of Object.entries(p.deleteMarkers ?? {})) rows.push([`deleteMarkers.${text(k)}`, count(v)]);
  return '<h3>Reconcile (inventories)</h3>' + tableHtml(`Reconcile counts, ${pairName(p)}`, ['Count', 'Versions'], rows, new Set([1]));
}

function pairSection(
  pair: { source: string; destination: string },
  input: HtmlReportInput,
  slo: SloReport | undefined,
  lookups: {
    report: Map<string, ReportPair>;
    slo: Map<string, SloPair>;
    backlog: Map<string, BacklogRow>;
    reconcile: Map<string, ReconcileCounts['pairs'][number]>;
    failures: Map<string, ReplicationReport['failures']>;
    overdue: Map<string, ReplicationReport['overdue']>;
  },
): string {
  const id = pairId(pair);
  const name = pairName(pair);
  const parts: string[] = [`<section class="pair"><h2>${name}</h2>`];
  const r = lookups.report.get(id);
  if (r) {
    parts.push(
      figuresList([
        ['Completed', num(r.completed)],
        ['Failed', num(r.failed)],
        ['Metadata failed', num(r.metadataFailed)],
        ['Delete markers failed', num(r.deleteMarkersFailed)],
        ['Source deleted', num(r.sourceDeleted)],
        ['Pending', num(r.pending)],
        ['Overdue', num(r.overdue)],
        ['Bytes', bytes(r.bytes)],
        ['p99 latency', secs(r.latencySeconds.p99)],
      ]),
    );
    const histogram = input.latencyHistogram?.get(id);
    if (histogram && histogram.some((c) => c > 0)) {
      parts.push(
        '<h3>Latency distribution</h3>',
        latencyChart(histogram, slo?.objectiveSeconds, `Latency distribution, ${name}`),
        `<p class="legend">Completed versions by replication latency${slo ? '; orange: slower than the objective' : ''}.</p>`,
      );
    }
  }
  const s = lookups.slo.get(id);
  if (s && slo) parts.push(rpoSection(s, slo.objectiveSeconds));
  const b = lookups.backlog.get(id);
  if (b) parts.push(backlogSection(b, slo?.objectiveSeconds, name));
  parts.push(failuresSection(pair, lookups.failures.get(id) ?? []));
  parts.push(overdueSection(lookups.overdue.get(id) ?? []));
  const c = lookups.reconcile.get(id);
  if (c) parts.push(reconcileSection(c));
  parts.push('</section>');
  return parts.join('\n');
}

function groupByPair<T extends { source: string; destination: string }>(items: readonly T[]): Map<string, T[]> {
  const byPair = new Map<string, T[]>();
  for (const item of items) {
    const list = byPair.get(pairId(item));
    if (list) list.push(item);
    else byPair.set(pairId(item), [item]);
  }
  return byPair;
}

const STYLE = `
:root{color-scheme:light;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f6f7f9}
body{margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px}h2{font-size:1.25rem;margin:0 0 8px;word-break:break-all}h3{font-size:1rem;margin:18px 0 6px}
.sub{color:#5a6573;margin:0 0 18px}
section.pair{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:16px 20px;margin:18px 0}
table{border-collapse:collapse;margin:6px 0 8px;font-size:.9rem;width:100%}
caption{text-align:left;color:#5a6573;font-size:.8rem;padding-bottom:2px}
th,td{border-bottom:1px solid #e6e9ed;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
.key{word-break:break-all}.class{white-space:nowrap}.examples{min-width:14em}
th{background:#eef1f4;font-weight:600}.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
dl.figures{display:flex;flex-wrap:wrap;gap:10px 28px;margin:4px 0 8px}dl.figures div{min-width:90px}
dt{color:#5a6573;font-size:.8rem}dd{margin:0;font-size:1.15rem;font-weight:600;font-variant-numeric:tabular-nums}
svg.chart{display:block;width:100%;max-width:760px;height:auto;margin:4px 0}
.legend{color:#5a6573;font-size:.8rem;margin:0 0 6px}.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:-1px}
.bar{fill:#3b7dd8}.bar.late{fill:#d9822b}.day.ok{fill:#2f9e57}.day.warn{fill:#d9a22b}.day.bad{fill:#c9372c}
.legend .ok{background:#2f9e57}.legend .warn{background:#d9a22b}.legend .bad{background:#c9372c}
.axis{stroke:#8a94a0}.grid{stroke:#e1e5ea}.objective{stroke:#c9372c;stroke-dasharray:4 3;stroke-width:2}
.tick,.value{font-size:11px;fill:#4a5563}
.version{color:#5a6573;font-family:ui-monospace,monospace;font-size:.8rem}
.class{display:inline-block;border-radius:4px;padding:0 6px;font-size:.8rem;background:#eef1f4}
.class.data{background:#fbe3e1}.class.metadata{background:#fdf1d8}.class.deleteMarker{background:#e6eefb}.class.sourceDeleted{background:#e8f3ea}
.more{color:#5a6573;font-size:.85rem}footer{color:#5a6573;font-size:.85rem;margin-top:24px}
`;

/** The whole page. Pure: the same input gives the same bytes. */
export function renderHtml(input: HtmlReportInput): string {
  const report = input.replication;
  const slo = input.slo ?? report?.slo;
  const all = new Map<string, { source: string; destination: string }>();
  for (const p of [...(report?.pairs ?? []), ...(slo?.pairs ?? []), ...(input.backlog ?? []), ...(input.reconcile?.pairs ?? [])]) {
    if (!all.has(pairId(p))) all.set(pairId(p), { source: p.source, destination: p.destination });
  }
  const pairs = [...all.values()].sort((a, b) =>
    a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0,
  );
  const lookups = {
    report: new Map((report?.pairs ?? []).map((p) => [pairId(p), p])),
    slo: new Map((slo?.pairs ?? []).map((p) => [pairId(p), p])),
    backlog: new Map((input.backlog ?? []).map((p) => [pairId(p), p])),
    reconcile: new Map((input.reconcile?.pairs ?? []).map((p) => [pairId(p), p])),
    failures: groupByPair(report?.failures ?? []),
    overdue: groupByPair(report?.overdue ?? []),
  };
  const subtitle = [
    report ? `as of ${text(report.asOf)}` : '',
    slo ? `recovery point objective ${duration(slo.objectiveSeconds)}` : '',
    `${num(pairs.length)} ${pairs.length === 1 ? 'pair' : 'pairs'}`,
  ].filter(Boolean);
  const sections = pairs.slice(0, HTML_LIMITS.pairSections).map((p) => pairSection(p, input, slo, lookups));
  const inventories = input.reconcile?.inventories ?? [];
  const footer = report
    ? `<footer>Inputs rejected: ${num(report.rejected)} · ignored (not object writes): ${num(report.ignored)} · unattributed replicas: ${num(report.unattributed)}</footer>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${text(input.title)}</h1>
<p class="sub">${subtitle.join(' · ')}</p>
${pairs.length ? summaryTable(pairs, input, slo) : '<p>No replication pairs found.</p>'}
${sections.join('\n')}
${more(pairs.length - sections.length, 'pairs in the table above only')}
${
  inventories.length
    ? tableHtml(
        'Inventories read',
        ['Bucket', 'Created', 'Format', 'Files', 'Rows'],
        inventories.map((i) => [text(i.bucket), text(i.createdAt), text(i.format), num(i.files), num(i.rows)]),
        new Set([3, 4]),
      )
    : ''
}
${footer}
</body>
</html>
`;
}
