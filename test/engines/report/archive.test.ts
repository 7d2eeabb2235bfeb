/**
 * The archive engine judges exactly as lambda/core/slo.ts: for any set of finished pair states, archived with repeated
 * rows, superseded rows and in any order across files, DuckDB's `slo` equals SloBuilder's over the states themselves.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { archiveSlo } from '../../../engines/report/archive';
import { archiveRow } from '../../../lambda/archive/archive';
import { SloBuilder, type PairState } from '../../../lambda/core';

const AT = Date.parse('2026-11-22T00:00:00Z');
const START = Date.parse('2026-11-19T00:00:00Z');

const state = fc
  .record({
    key: fc.constantFrom('a', 'b', 'c', 'd k', 'e/é', "f'g"),
    versionId: fc.constantFrom('v1', 'v2'),
    destination: fc.constantFrom('dst-1', 'dst-2'),
    sourceAt: fc.integer({ min: START, max: AT - 1 }),
    kind: fc.constantFrom('completed', 'completed', 'failed', 'withoutSource', 'noLatency'),
    latencyMillis: fc.integer({ min: 0, max: 2_000_000 }),
    reason: fc.constantFrom('DstPutObjectNotPermitted', 'SrcObjectNotFound', 'DstDelObjNotPermitted', 'Whatever'),
  })
  .map(({ key, versionId, destination, sourceAt, kind, latencyMillis, reason }): PairState => ({
    source: 'src',
    destination,
    key,
    versionId,
    state: kind === 'failed' ? 'FAILED' : 'COMPLETED',
    sourceAt,
    latencySeconds: kind === 'completed' ? latencyMillis / 1000 : null,
    bytes: 1,
    failureReason: kind === 'failed' ? reason : undefined,
    withoutSource: kind === 'withoutSource',
  }));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'crr-archive-prop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('archiveSlo', () => {
  it('equals SloBuilder over the final states, whatever the repeats, superseded rows and order', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(state, { maxLength: 30 }),
        fc.integer({ min: 60, max: 1800 }),
        fc.integer(),
        async (states, objective, seed) => {
          // One final state per (key, versionId, destination): the latest wins, as in the table.
          const finals = [...new Map(states.map((s) => [`${s.key}|${s.versionId}|${s.destination}`, s])).values()];
          const rows: string[] = [];
          let sequence = 0;
          for (const s of finals) {
            const seq = () => String(++sequence).padStart(40, '0');
            // An earlier FAILED row that a later completion supersedes, then the final row (a COMPLETED one twice).
            if (s.state === 'COMPLETED')
              rows.push(
                JSON.stringify(
                  archiveRow({ ...s, state: 'FAILED', failureReason: 'X', latencySeconds: null }, 'failed', s.sourceAt, seq()),
                ),
              );
            const final = JSON.stringify(
              archiveRow(
                s,
                s.state === 'FAILED' ? 'failed' : s.latencySeconds === null ? 'completed' : 'latency',
                s.sourceAt + 1000,
                seq(),
              ),
            );
            rows.push(final, final);
          }
          // Shuffled (seeded) over three files, one not compressed.
          const order = rows.map((r, i) => ({ r, k: Math.imul(i + 1, seed | 1) >>> 0 })).sort((a, b) => a.k - b.k);
          const files = [0, 1, 2].map((f) => {
            const file = path.join(dir, `${run}-${f}`);
            const text = order
              .filter((_, i) => i % 3 === f)
              .map((o) => o.r)
              .join('\n');
            writeFileSync(file, f === 2 ? text : gzipSync(text));
            return { path: file, name: file };
          });
          run++;
          const { slo } = await archiveSlo(files, { objectiveSeconds: objective, pairs: [], at: AT });
          const expected = new SloBuilder(objective, AT);
          for (const s of finals) expected.addState(s);
          expect(slo).toEqual(expected.build());
        },
      ),
      { numRuns: 25 },
    );
  });
});
