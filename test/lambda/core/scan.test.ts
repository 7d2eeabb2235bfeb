import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { emptyParseResult, parseTextInto, scanInto, type ParseResult } from '../../../lambda/core';
import { generateWorkload } from '../../../tools/local-pipeline/workload';

/**
 * The scanner (lambda/core/scan.ts) either declines a line or gives exactly what parseTextInto gives for the text the
 * line's bytes decode to. Checked over generated EventBridge events, mutated ones (odd fields, escapes, duplicates,
 * white space, truncation, any byte changed) and the fixtures.
 */

/** The scanner's answer for these bytes (undefined: declined), and the parser's for their text. */
function both(bytes: Buffer): { scanned: ParseResult | undefined; parsed: ParseResult } {
  const out = emptyParseResult();
  const scanned = scanInto(bytes, 0, bytes.length, out) ? structuredClone(out) : undefined;
  return { scanned, parsed: parseTextInto(bytes.toString('utf8'), emptyParseResult()) };
}

function expectSame(bytes: Buffer): boolean {
  const { scanned, parsed } = both(bytes);
  if (scanned !== undefined) expect(scanned).toEqual(parsed);
  return scanned !== undefined;
}

const template = JSON.parse(readFileSync(path.join(__dirname, '../../fixtures/events/eventbridge-putobject-replica.json'), 'utf8')) as {
  detail: Record<string, unknown> & { userIdentity: Record<string, unknown>; requestParameters: Record<string, unknown> };
};

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.constantFrom(0, -0, 1, 1.5, 1e3, 48213, -5, 2 ** 53, 53_687_091_200_000, 53_687_091_200_001),
  fc.constantFrom(
    '',
    'x',
    'PutObject',
    's3.amazonaws.com',
    'aws.s3',
    '2026-11-20T10:15:41Z',
    '2026-11-20T10:15:41.5+02:00',
    'AROA:s3-replication',
  ),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constant({}),
  fc.constant([]),
  fc.constant({ a: [1, { b: 'c' }] }),
);

/** Mostly a value parse.ts takes, sometimes an odd one. */
const v = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: good }, { weight: 1, arbitrary: odd });

/** An EventBridge CloudTrail event with fields drawn from the values parse.ts tells apart, or odd ones. */
const eventArb = fc
  .record({
    detailType: v(fc.constantFrom('AWS API Call via CloudTrail', 'Object Created', 'AWS API Call via CloudTrai')),
    source: v(fc.constantFrom('aws.s3', 'aws.ec2', 'custom')),
    eventSource: v(fc.constant('s3.amazonaws.com')),
    eventName: v(fc.constantFrom('PutObject', 'CopyObject', 'CompleteMultipartUpload', 'GetObject', 'UploadPart')),
    errorCode: fc.oneof(fc.constant(undefined), fc.constant(undefined), fc.constant(null), fc.constant('AccessDenied'), odd),
    bucket: v(fc.constantFrom('photos-euw2', 'logs-use1')),
    key: v(fc.constantFrom('a/b.jpg', 'pug toast+crumbs ü.jpg', 'q"uote\\back\u0001slash', '写真/😀')),
    requestVersion: fc.oneof(fc.constant(undefined), fc.constantFrom('v-req', ''), odd),
    responseVersion: v(fc.constantFrom('v-resp', '')),
    bytesIn: v(fc.integer({ min: 0, max: 10_000_000 })),
    principal: v(fc.constantFrom('AROAREPLROLEID:s3-replication', 'AROAEXAMPLE:uploader')),
    invokedBy: v(fc.constant('s3.amazonaws.com')),
    sourceIp: v(fc.constantFrom('s3.amazonaws.com', '203.0.113.10')),
    eventTime: v(fc.constantFrom('2026-11-20T10:15:41Z', '2026-11-20T10:15:41.123+01:00', '2026-02-30T10:00:00Z')),
    dropRequest: fc.boolean(),
    requestOdd: fc.option(odd, { nil: undefined, freq: 8 }),
    responseOdd: fc.option(odd, { nil: undefined, freq: 5 }),
    extraOdd: fc.option(odd, { nil: undefined, freq: 5 }),
    identityOdd: fc.option(odd, { nil: undefined, freq: 5 }),
    detailOdd: fc.option(odd, { nil: undefined, freq: 10 }),
  })
  .map((f) => {
    const detail: Record<string, unknown> = {
      ...template.detail,
      eventSource: f.eventSource,
      eventName: f.eventName,
      errorCode: f.errorCode,
      userIdentity: f.identityOdd ?? { ...template.detail.userIdentity, principalId: f.principal, invokedBy: f.invokedBy },
      sourceIPAddress: f.sourceIp,
      eventTime: f.eventTime,
      requestParameters: f.requestOdd ?? {
        ...template.detail.requestParameters,
        bucketName: f.bucket,
        key: f.key,
        'x-amz-version-id': f.requestVersion,
      },
      responseElements: f.responseOdd ?? { 'x-amz-server-side-encryption': 'AES256', 'x-amz-version-id': f.responseVersion },
      additionalEventData: f.extraOdd ?? { SignatureVersion: 'SigV4', bytesTransferredIn: f.bytesIn, bytesTransferredOut: 0 },
    };
    if (f.dropRequest) delete detail.requestParameters;
    return { ...template, 'detail-type': f.detailType, source: f.source, detail: f.detailOdd ?? detail };
  });

/** JSON text of a value with white space, escaped characters and duplicate keys thrown in, as a writer may. */
function render(value: unknown, rnd: () => number): string {
  const space = () => [' ', '', '\t', '\r\n', ''][Math.floor(rnd() * 5)];
  const str = (s: string) => {
    let out = JSON.stringify(s);
    // Escape some characters that need none: the same string to JSON.parse.
    if (rnd() < 0.2)
      out = out.replace(
        /[a-z]/,
        (c) =>
          `\\u${c
            .charCodeAt(0)
            .toString(16)
            .padStart(4, rnd() < 0.5 ? '0' : '0')}`,
      );
    if (rnd() < 0.05) out = out.replace(/\//g, '\\/');
    return out;
  };
  if (Array.isArray(value)) return `[${space()}${value.map((v) => render(v, rnd)).join(`,${space()}`)}${space()}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    const parts = entries.map(([k, v]) => `${str(k)}${space()}:${space()}${render(v, rnd)}`);
    if (entries.length > 0 && rnd() < 0.1) {
      // A duplicate key: JSON.parse keeps the last.
      const [k] = entries[Math.floor(rnd() * entries.length)];
      parts.splice(Math.floor(rnd() * (parts.length + 1)), 0, `${str(k)}:${render(rnd() < 0.5 ? 'dup' : { dup: 1 }, rnd)}`);
    }
    return `{${space()}${parts.join(`,${space()}`)}${space()}}`;
  }
  if (typeof value === 'string') return str(value);
  if (typeof value === 'number' && rnd() < 0.2 && Number.isInteger(value) && Math.abs(value) < 1e15) return `${value}.0e0`;
  return JSON.stringify(value) ?? 'null';
}

const rendered = fc.tuple(eventArb, fc.integer()).map(([event, seed]) => {
  let state = seed >>> 0 || 1;
  const rnd = () => ((state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
  return render(event, rnd);
});

describe('scanInto', () => {
  it('gives what parseTextInto gives for generated EventBridge events, or declines', () => {
    let accepted = 0;
    fc.assert(
      fc.property(rendered, (text) => {
        if (expectSame(Buffer.from(text, 'utf8'))) accepted++;
      }),
      { numRuns: 3000 },
    );
    // Enough of them are its own shape (odd fields mostly make rejections, which it declines): not vacuous.
    expect(accepted).toBeGreaterThan(300);
  });

  it('gives what parseTextInto gives for mutated texts: a byte changed, inserted or removed, or the text cut short', () => {
    fc.assert(
      fc.property(
        rendered,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete', 'cut')), {
          minLength: 1,
          maxLength: 3,
        }),
        (text, edits) => {
          let bytes = Buffer.from(text, 'utf8');
          for (const [at, byte, edit] of edits) {
            const i = at % (bytes.length + 1);
            if (edit === 'set' && i < bytes.length) bytes[i] = byte;
            else if (edit === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
            else if (edit === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
            else if (edit === 'cut') bytes = bytes.subarray(0, i);
          }
          const { scanned, parsed } = both(bytes);
          if (scanned !== undefined) expect(scanned).toEqual(parsed);
          // Never accepts what JSON.parse refuses.
          if (scanned !== undefined) expect(() => JSON.parse(bytes.toString('utf8'))).not.toThrow();
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('declines every shape but an EventBridge event, and anything parseTextInto rejects', () => {
    for (const text of [
      '',
      '   ',
      '[]',
      '"x"',
      '{}',
      '{"Records":[]}',
      '{"Type":"Notification","Message":"{}"}',
      '{"eventSource":"aws:sqs","body":"{}"}',
      JSON.stringify({ ...template.detail }),
      JSON.stringify({ ...template, source: 'custom' }),
      JSON.stringify({ ...template, detail: 'x' }),
      JSON.stringify(template) + ' x',
      // A size JSON.parse reads as Infinity: parse.ts rejects it.
      JSON.stringify(template).replace('"bytesTransferredIn":48213', '"bytesTransferredIn":1e400'),
      JSON.stringify(template).replace('"detail-type"', '"detail\\u002dtype"'),
      '{"a":' + '['.repeat(100) + ']'.repeat(100) + ',"detail-type":"x","source":"aws.s3"}',
    ]) {
      const out = emptyParseResult();
      const bytes = Buffer.from(text);
      expect([text, scanInto(bytes, 0, bytes.length, out)]).toEqual([text, false]);
    }
  });

  it('reads a line inside a larger buffer without looking past its end', () => {
    const line = JSON.stringify(template);
    const bytes = Buffer.from(`${line.slice(0, 500)}\n${line}\n{"detail-type":"x"}`);
    const start = line.slice(0, 500).length + 1;
    const out = emptyParseResult();
    expect(scanInto(bytes, start, start + Buffer.byteLength(line), out)).toBe(true);
    expect(out).toEqual(parseTextInto(line, emptyParseResult()));
    expect(scanInto(bytes, 0, 500, emptyParseResult())).toBe(false);
  });

  it('gives what parseTextInto gives for every fixture and every line of a generated workload', () => {
    const fixtures = path.join(__dirname, '../../fixtures');
    const files = ['events', 'replay'].flatMap((dir) =>
      readdirSync(path.join(fixtures, dir))
        .filter((name) => name.endsWith('.json'))
        .map((name) => path.join(fixtures, dir, name)),
    );
    let accepted = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // As a document, and as one JSON Lines line.
      for (const form of [text, JSON.stringify(JSON.parse(text))]) if (expectSame(Buffer.from(form))) accepted++;
    }
    expect(accepted).toBeGreaterThanOrEqual(8);
    const lines: string[] = [];
    generateWorkload(
      {
        objects: 300,
        rules: [{ source: 'photos-use1', destinations: ['photos-euw2', 'photos-apse2'] }],
        failRate: 0.1,
        delayRate: 0.1,
        multipartRate: 0.2,
        duplicateRate: 0.1,
        seed: 7,
      },
      (event) => lines.push(JSON.stringify(event)),
    );
    let scanned = 0;
    for (const line of lines) if (expectSame(Buffer.from(line))) scanned++;
    expect(scanned).toBeGreaterThan(lines.length * 0.8);
  });
});
