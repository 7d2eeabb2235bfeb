/**
 * `npm run bench:report`: `report --archive`'s engine over generated archive files (rows shaped as lambda/archive
 * writes them: one per pair outcome, a tenth of them corrected by a later row, every file GZIP JSON Lines under
 * dt= folders), and the HTML page of a large report. Prints figures; asserts nothing.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { archiveSlo } from '../../engines/report/archive';
import { renderHtml } from '../../engines/report/html';
import { LATENCY_BUCKET_SECONDS } from '../../lambda/core/statistics';
import type { ReplicationReport, SloPair } from '../../lambda/core';

const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 1_000_000);
const DAYS = 90;
const PAIRS = 6;
const DAY = 86_400_000;
const START = Date.parse('2026-08-01T00:00:00Z');

function writeArchive(dir: string): { files: { path: string; name: string }[]; rows: number; bytes: number } {
  const files: { path: string; name: string }[] = [];
  let rows = 0;
  let bytes = 0;
  const perDay = Math.ceil(VERSIONS / DAYS);
  for (let d = 0; d < DAYS; d++) {
    const lines: string[] = [];
    for (let i = 0; i < perDay && d * perDay + i < VERSIONS; i++) {
      const n = d * perDay + i;
      const sourceAt = START + d * DAY + ((i * 7919) % DAY);
      const failed = n % 97 === 0;
      const latency = failed ? null : (n * 31) % 1300;
      const row = {
        source: `src-${n % PAIRS}`,
        destination: `dst-${n % PAIRS}`,
        key: `data/${d}/${n}.parquet`,
        versionId: `v${n.toString(36)}`,
        state: failed ? 'FAILED' : 'COMPLETED',
        outcome: failed ? 'failed' : 'completed',
        revision: failed ? 1 : 2,
        recordedAt: sourceAt + 60_000,
        sequence: String(n).padStart(40, '0'),
        sourceTime: new Date(sourceAt).toISOString(),
        sourceAt,
        withoutSource: false,
        replicaTime: latency === null ? null : new Date(sourceAt + latency * 1000).toISOString(),
        latencySeconds: n % 10 === 0 ? null : latency,
        bytes: 1000,
        failureReason: failed ? 'DstPutObjectNotPermitted' : null,
        pendingSeconds: null,
      };
      lines.push(JSON.stringify(row));
      rows++;
      if (n % 10 === 0 && !failed) {
        lines.push(
          JSON.stringify({ ...row, outcome: 'latency', revision: 3, latencySeconds: latency, sequence: String(n + 1).padStart(40, '0') }),
        );
        rows++;
      }
    }
    const folder = path.join(dir, `dt=${new Date(START + d * DAY).toISOString().slice(0, 10)}`);
    mkdirSync(folder, { recursive: true });
    const file = path.join(folder, 'part-1.gz');
    writeFileSync(file, gzipSync(lines.join('\n') + '\n'));
    bytes += statSync(file).size;
    files.push({ path: file, name: file });
  }
  return { files, rows, bytes };
}

function largeReport(): ReplicationReport {
  const pairs = 600;
  const key = (i: number) => `${i}<script>`.padEnd(1024, '"&<');
  const figures = { versions: 1000, withinObjective: 999, missedObjective: 1, percentWithin: 99.9, worstSeconds: 7200 };
  return {
    asOf: '2026-11-21T00:00:00.000Z',
    pairs: Array.from({ length: pairs }, (_, p) => ({
      source: `src-${p}`,
      destination: 'dst',
      completed: 1e6,
      completedWithoutSource: 0,
      failed: 333,
      metadataFailed: 12,
      deleteMarkersFailed: 3,
      sourceDeleted: 2,
      pending: 0,
      overdue: 166,
      bytes: 2 ** 40,
      latencySeconds: { p50: 5, p90: 30, p99: 600, max: 7200 },
    })),
    failures: Array.from({ length: 200_000 }, (_, i) => ({
      source: `src-${i % pairs}`,
      destination: 'dst',
      key: key(i),
      versionId: `v${i}`,
      reason: `Reason${Math.floor(i / pairs) % 40}`,
      class: 'data' as const,
    })),
    overdue: Array.from({ length: 100_000 }, (_, i) => ({
      source: `src-${i % pairs}`,
      destination: 'dst',
      key: key(i),
      versionId: `v${i}`,
      pendingSeconds: 1000 + i,
    })),
    unattributed: 0,
    rejected: 0,
    ignored: 0,
    slo: {
      objectiveSeconds: 900,
      pairs: Array.from({ length: pairs }, (_, p): SloPair => ({
        source: `src-${p}`,
        destination: 'dst',
        ...figures,
        days: Array.from({ length: 365 }, (_, d) => ({ day: new Date(START + d * DAY).toISOString().slice(0, 10), ...figures })),
      })),
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'crr-bench-report-'));
  try {
    const { files, rows, bytes } = writeArchive(dir);
    const started = process.hrtime.bigint();
    const result = await archiveSlo(files, { objectiveSeconds: 900, pairs: [] });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rss = process.resourceUsage().maxRSS * 1024; // peak, the whole process so far (generating included)
    console.log(
      `report --archive: ${rows.toLocaleString('en-US')} rows (${result.read.versions.toLocaleString('en-US')} versions, ` +
        `${files.length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB gzip) in ${seconds.toFixed(2)} s: ` +
        `${Math.round(rows / seconds).toLocaleString('en-US')} rows/s, peak RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
    );
    const report = largeReport();
    const histogram = new Map(
      report.pairs.map((p) => [`${p.source}>${p.destination}`, LATENCY_BUCKET_SECONDS.map((_, i) => i + 1).concat([1])]),
    );
    const t0 = process.hrtime.bigint();
    const html = renderHtml({ title: 'large', replication: report, latencyHistogram: histogram });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(
      `renderHtml: 600 pairs × 365 days, 200,000 failures and 100,000 overdue with 1,024-byte hostile keys: ` +
        `${Buffer.byteLength(html).toLocaleString('en-US')} bytes in ${ms.toFixed(0)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
