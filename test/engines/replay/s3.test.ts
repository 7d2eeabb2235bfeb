import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { parseDay, parseS3Url, prefixesFor, s3Sources } from '../../../engines/replay/s3';

const day = (text: string) => parseDay(text)!;
const TODAY = day('2026-12-04');
const TRAIL = 'AWSLogs/111122223333/CloudTrail/us-east-1/';

describe('s3:// inputs', () => {
  it('parses URLs and days (real dates only)', () => {
    expect(parseS3Url('s3://bucket/AWSLogs/1/')).toEqual({ bucket: 'bucket', prefix: 'AWSLogs/1/' });
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', prefix: '' });
    expect(parseS3Url('/local/path')).toBeUndefined();
    expect(parseDay('2026-11-03')).toBe(Date.parse('2026-11-03T00:00:00Z'));
    for (const bad of ['2026-02-30', '2026-13-01', '26-11-03', '2026-11-3', '2026-11-03T00:00:00Z']) expect(parseDay(bad)).toBeUndefined();
  });

  it('lists only the date folders in range: whole months as one prefix, the days at the ends one by one', () => {
    expect(prefixesFor(TRAIL, {}, TODAY)).toEqual([TRAIL]);
    expect(prefixesFor(TRAIL, { since: day('2026-10-30'), until: day('2026-12-02') }, TODAY)).toEqual([
      `${TRAIL}2026/10/30/`,
      `${TRAIL}2026/10/31/`,
      `${TRAIL}2026/11/`,
      `${TRAIL}2026/12/01/`,
      `${TRAIL}2026/12/02/`,
    ]);
    // The prefix's own date bounds the range; a prefix without its trailing slash is the same folder.
    expect(prefixesFor(`${TRAIL}2026/11/`, { since: day('2026-11-29'), until: day('2027-01-05') }, TODAY)).toEqual([
      `${TRAIL}2026/11/29/`,
      `${TRAIL}2026/11/30/`,
    ]);
    expect(prefixesFor(`${TRAIL}2026/11/05`, { since: day('2026-11-01') }, TODAY)).toEqual([`${TRAIL}2026/11/05/`]);
    expect(prefixesFor(TRAIL.slice(0, -1), { since: day('2026-12-03') }, TODAY)).toEqual([`${TRAIL}2026/12/03/`, `${TRAIL}2026/12/04/`]);
    expect(prefixesFor(`${TRAIL}2026/`, { until: day('2026-02-01') }, TODAY)).toEqual([`${TRAIL}2026/01/`, `${TRAIL}2026/02/01/`]);
    expect(prefixesFor(`${TRAIL}2026/11/`, { since: day('2026-12-01') }, TODAY)).toEqual([]);
    // An account ID is not a year: the date part is whole 4-, 2- and 2-digit segments.
    expect(prefixesFor('AWSLogs/111122223333', { since: day('2026-12-04') }, TODAY)).toEqual(['AWSLogs/111122223333/2026/12/04/']);
    expect(() => prefixesFor(TRAIL, { until: day('2026-11-01') }, TODAY)).toThrow('--until needs --since');
  });

  it('asks S3 for the in-range prefixes only, page by page, and reads only the log file kinds', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectsV2Command, { Prefix: `${TRAIL}2026/11/30/` })
      .resolvesOnce({ IsTruncated: true, NextContinuationToken: 't1', Contents: [{ Key: `${TRAIL}2026/11/30/a.json.gz`, Size: 10 }] })
      .resolvesOnce({
        IsTruncated: false,
        Contents: [{ Key: `${TRAIL}2026/11/30/b.json.gz`, Size: 20 }, { Key: `${TRAIL}2026/11/30/x.txt` }],
      });
    s3.on(ListObjectsV2Command, { Prefix: `${TRAIL}2026/12/01/` }).resolves({ Contents: [{ Key: `${TRAIL}2026/12/01/c.jsonl`, Size: 5 }] });
    const names: string[] = [];
    for await (const item of s3Sources(
      new S3Client({ region: 'us-east-1' }),
      { bucket: 'logs', prefix: TRAIL },
      { since: day('2026-11-30'), until: day('2026-12-01') },
      TODAY,
    )) {
      if ('source' in item) names.push(`${item.source.name} ${item.source.layout} ${item.source.gzipped} ${item.source.size}`);
      else names.push(`failure ${item.failure.file}`);
    }
    expect(names).toEqual([
      `s3://logs/${TRAIL}2026/11/30/a.json.gz document true 10`,
      `s3://logs/${TRAIL}2026/11/30/b.json.gz document true 20`,
      `s3://logs/${TRAIL}2026/12/01/c.jsonl lines false 5`,
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => [c.args[0].input.Prefix, c.args[0].input.ContinuationToken])).toEqual([
      [`${TRAIL}2026/11/30/`, undefined],
      [`${TRAIL}2026/11/30/`, 't1'],
      [`${TRAIL}2026/12/01/`, undefined],
    ]);
    s3.restore();
  });
});
