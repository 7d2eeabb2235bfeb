/** The publish step's splitting: what does not fit one SNS message is cut into smaller CloudTrail log files. */
import { messagesOf } from '../../../tools/local-pipeline/publish';
import { cloudTrailWrite } from '../../../tools/local-pipeline/events';

test('an input that fits one SNS message is published as it is', () => {
  const text = JSON.stringify({ Records: [cloudTrailWrite({ bucket: 'src-one', key: 'a', versionId: 'v1', at: 0 })] });
  expect(messagesOf(text)).toEqual([text]);
});

test('a log file larger than an SNS message is split into log files that each fit, keeping every record once, in order', () => {
  const records = Array.from({ length: 600 }, (_, i) =>
    cloudTrailWrite({ bucket: 'src-one', key: `k/${i}`, versionId: `v${i}`, at: i * 1000 }),
  );
  const parts = messagesOf(JSON.stringify({ Records: records }));
  expect(parts.length).toBeGreaterThan(1);
  for (const part of parts) expect(Buffer.byteLength(part)).toBeLessThanOrEqual(240 * 1024);
  expect(parts.flatMap((p) => (JSON.parse(p) as { Records: unknown[] }).Records)).toEqual(records);
});

test('a large input that is not a log file cannot be published (the caller rejects it)', () => {
  expect(messagesOf('x'.repeat(300 * 1024))).toEqual([]);
  expect(messagesOf(JSON.stringify({ detail: 'y'.repeat(300 * 1024) }))).toEqual([]);
});
