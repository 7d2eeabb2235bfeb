/**
 * The sweep's EMF output (Powertools Metrics): metric names, units and dimensions as lambda/core/metric-names.ts
 * says; UntrackedWrites carries SourceBucket only; the overdue gauge publishes zeros too.
 */
import { EmfSweepMetrics } from '../../../lambda/sweep/emf-metrics';

function captured(run: () => void): Record<string, any>[] {
  const lines: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => (lines.push(String(chunk)), true)),
    jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' '))),
  ];
  try {
    run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('_aws'))
    .map((l) => JSON.parse(l));
}

const definitions = (doc: Record<string, any>) => doc._aws.CloudWatchMetrics[0];

test('a completion: objects, bytes, latency and speed per pair, in CRRMonitor, with the README units', () => {
  const [doc] = captured(() =>
    new EmfSweepMetrics('CRRMonitor').outcomes([
      { kind: 'completed', source: 's', destination: 'd', key: 'k', versionId: 'v', latencySeconds: 4, bytes: 1000 },
    ]),
  );
  const def = definitions(doc);
  expect(def.Namespace).toBe('CRRMonitor');
  // Exactly the alarms' dimensions (no Powertools `service` dimension: it would make it another metric).
  expect(def.Dimensions).toEqual([['SourceBucket', 'DestBucket']]);
  expect(Object.fromEntries(def.Metrics.map((m: { Name: string; Unit: string }) => [m.Name, m.Unit]))).toEqual({
    ReplicationObjects: 'Count',
    ReplicationBytes: 'Bytes',
    ReplicationLatency: 'Seconds',
    ReplicationSpeed: 'Bytes/Second',
  });
  expect(doc).toMatchObject({
    SourceBucket: 's',
    DestBucket: 'd',
    ReplicationObjects: 1,
    ReplicationBytes: 1000,
    ReplicationLatency: 4,
    ReplicationSpeed: 250,
  });
});

test('a HeadObject completion has no latency or speed; a failure counts FailedReplications; untracked is per source only', () => {
  const docs = captured(() =>
    new EmfSweepMetrics('CRRMonitor').outcomes([
      { kind: 'completed', source: 's', destination: 'd', key: 'k', versionId: 'v', latencySeconds: null, bytes: 5 },
      { kind: 'failed', source: 's', destination: 'd2', key: 'k', versionId: 'v', latencySeconds: null, bytes: 5, failureReason: 'X' },
      { kind: 'untracked', source: 's', key: 'k2', versionId: 'v', latencySeconds: null, bytes: 5 },
    ]),
  );
  expect(docs).toHaveLength(3);
  expect(docs[0].ReplicationLatency).toBeUndefined();
  expect(docs[1]).toMatchObject({ FailedReplications: 1, DestBucket: 'd2' });
  expect(docs[2]).toMatchObject({ UntrackedWrites: 1, SourceBucket: 's' });
  expect(docs[2].DestBucket).toBeUndefined();
  expect(definitions(docs[2]).Metrics).toEqual([{ Name: 'UntrackedWrites', Unit: 'Count' }]);
  expect(definitions(docs[2]).Dimensions).toEqual([['SourceBucket']]);
});

test('metadata, delete-marker and source-deleted outcomes count their own metric per pair', () => {
  const failure = { source: 's', destination: 'd', key: 'k', versionId: 'v', latencySeconds: null, bytes: 5 };
  const docs = captured(() =>
    new EmfSweepMetrics('CRRMonitor').outcomes([
      { kind: 'metadataFailed', ...failure, failureReason: 'DstPutAclNotPermitted', failureClass: 'metadata' },
      { kind: 'deleteMarkerFailed', ...failure, failureReason: 'DstDelObjNotPermitted', failureClass: 'deleteMarker' },
      { kind: 'sourceDeleted', ...failure, failureReason: 'SrcKeyNotFound', failureClass: 'sourceDeleted' },
    ]),
  );
  expect(docs.map((d) => definitions(d).Metrics)).toEqual([
    [{ Name: 'MetadataReplicationFailures', Unit: 'Count' }],
    [{ Name: 'DeleteMarkerReplicationFailures', Unit: 'Count' }],
    [{ Name: 'SourceVersionsDeleted', Unit: 'Count' }],
  ]);
  expect(docs.every((d) => d.SourceBucket === 's' && d.DestBucket === 'd')).toBe(true);
});

test('the overdue gauge: one datum per configured pair, zeros included', () => {
  const docs = captured(() =>
    new EmfSweepMetrics('CRRMonitor').overdue([
      { source: 's', destination: 'a', count: 0 },
      { source: 's', destination: 'b', count: 3 },
    ]),
  );
  expect(docs.map((d) => [d.DestBucket, d.OverdueReplications])).toEqual([
    ['a', 0],
    ['b', 3],
  ]);
});
