/** lambda/adapters/outcomes.ts: the metric data of each outcome kind, and the EMF documents Powertools writes. */
import type { Outcome } from '../../../lambda/core/outcomes';
import { EmfOutcomeSink, datumsOf } from '../../../lambda/adapters/outcomes';

const base = { source: 'src', destination: 'dst', key: 'k', versionId: 'v', bytes: 5000 };
const completed: Outcome = { kind: 'completed', ...base, latencySeconds: 4 };

describe('datumsOf', () => {
  test('completed: objects, bytes, latency and speed (bytes per second of latency), per version', () => {
    expect(datumsOf(completed)).toEqual([
      { metric: 'ReplicationObjects', source: 'src', destination: 'dst', unit: 'Count', value: 1 },
      { metric: 'ReplicationBytes', source: 'src', destination: 'dst', unit: 'Bytes', value: 5000 },
      { metric: 'ReplicationLatency', source: 'src', destination: 'dst', unit: 'Seconds', value: 4 },
      { metric: 'ReplicationSpeed', source: 'src', destination: 'dst', unit: 'Bytes/Second', value: 1250 },
    ]);
  });
  test('completed without latency counts only; late latency adds only latency and speed; failed and untracked count one', () => {
    expect(datumsOf({ ...completed, latencySeconds: null }).map((d) => d.metric)).toEqual(['ReplicationObjects', 'ReplicationBytes']);
    expect(datumsOf({ ...completed, kind: 'latency' }).map((d) => d.metric)).toEqual(['ReplicationLatency', 'ReplicationSpeed']);
    expect(datumsOf({ ...completed, latencySeconds: 0 }).map((d) => d.metric)).toEqual([
      'ReplicationObjects',
      'ReplicationBytes',
      'ReplicationLatency',
    ]);
    expect(datumsOf({ kind: 'failed', ...base, latencySeconds: null, failureReason: 'DstKmsKeyNotFound' })).toEqual([
      { metric: 'FailedReplications', source: 'src', destination: 'dst', unit: 'Count', value: 1 },
    ]);
    expect(datumsOf({ kind: 'untracked', source: 'src', key: 'k', versionId: 'v', bytes: 1, latencySeconds: null })).toEqual([
      { metric: 'UntrackedWrites', source: 'src', unit: 'Count', value: 1 },
    ]);
  });
});

describe('datumsOf, failure classes (issue 15)', () => {
  test('a metadata failure of a completed version, a delete marker and a deleted source version count one each, per pair', () => {
    const failure = { ...base, latencySeconds: null };
    expect(datumsOf({ kind: 'metadataFailed', ...failure, failureReason: 'DstPutTaggingNotPermitted', failureClass: 'metadata' })).toEqual([
      { metric: 'MetadataReplicationFailures', source: 'src', destination: 'dst', unit: 'Count', value: 1 },
    ]);
    expect(
      datumsOf({ kind: 'deleteMarkerFailed', ...failure, failureReason: 'DstDelObjNotPermitted', failureClass: 'deleteMarker' }),
    ).toEqual([{ metric: 'DeleteMarkerReplicationFailures', source: 'src', destination: 'dst', unit: 'Count', value: 1 }]);
    expect(datumsOf({ kind: 'sourceDeleted', ...failure, failureReason: 'SrcVersionNotFound', failureClass: 'sourceDeleted' })).toEqual([
      { metric: 'SourceVersionsDeleted', source: 'src', destination: 'dst', unit: 'Count', value: 1 },
    ]);
  });
});

describe('EmfOutcomeSink', () => {
  test('one EMF document per outcome on stdout: namespace CRRMonitor, the pair as the only dimensions, units', () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      new EmfOutcomeSink().publish(
        [completed, { kind: 'untracked', source: 'src', key: 'k2', versionId: 'v2', bytes: 0, latencySeconds: null }],
        { messageId: 'm-1' },
      );
    } finally {
      spy.mockRestore();
    }
    const docs = lines
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(docs).toHaveLength(2);
    expect(docs[0]._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'CRRMonitor',
        Dimensions: [['SourceBucket', 'DestBucket']],
        Metrics: [
          { Name: 'ReplicationObjects', Unit: 'Count' },
          { Name: 'ReplicationBytes', Unit: 'Bytes' },
          { Name: 'ReplicationLatency', Unit: 'Seconds' },
          { Name: 'ReplicationSpeed', Unit: 'Bytes/Second' },
        ],
      },
    ]);
    expect(docs[0]).toMatchObject({
      SourceBucket: 'src',
      DestBucket: 'dst',
      ReplicationObjects: 1,
      ReplicationBytes: 5000,
      ReplicationLatency: 4,
      ReplicationSpeed: 1250,
    });
    expect(docs[0]).toMatchObject({ key: 'k', versionId: 'v', messageId: 'm-1' });
    expect(docs[0].service).toBeUndefined();
    expect(docs[1]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['SourceBucket']]);
    expect(docs[1]).toMatchObject({ SourceBucket: 'src', UntrackedWrites: 1 });
    expect(docs[1].DestBucket).toBeUndefined();
  });
});
