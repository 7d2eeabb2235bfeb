import fc from 'fast-check';
import { Readable } from 'node:stream';
import { forEachLineOf, forEachPiece } from '../../../engines/replay/inputs';

/**
 * Lines travel in pieces (what a worker is handed): cutting a stream into pieces and the pieces into lines must give
 * exactly the lines a plain split gives, numbered alike, with every line past the limit (a '\r' of a '\r\n' aside)
 * named and dropped, however the stream is chunked.
 */
function reference(text: Buffer, maxBytes: number): { lines: [number, string][]; overlong: number[] } {
  const lines: [number, string][] = [];
  const overlong: number[] = [];
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === 10) {
      if (i === text.length && start === i) break; // no line after a final '\n'
      parts.push(text.subarray(start, i));
      start = i + 1;
    }
  }
  parts.forEach((raw, index) => {
    const n = index + 1;
    const tooLong = raw.length > maxBytes && !(raw.length === maxBytes + 1 && raw[raw.length - 1] === 13);
    if (tooLong) {
      overlong.push(n);
      return;
    }
    const text = (raw[raw.length - 1] === 13 ? raw.subarray(0, raw.length - 1) : raw).toString('utf8');
    if (text.trim() !== '') lines.push([n, text]);
  });
  return { lines, overlong };
}

async function viaPieces(chunks: Buffer[], maxBytes: number) {
  const lines: [number, string][] = [];
  const overlong: number[] = [];
  let counted = 0;
  await forEachPiece(
    Readable.from(chunks),
    maxBytes,
    (piece, firstLine, count) => {
      // A piece is whole lines: handed on as a copy, as to a worker.
      const copy = new Uint8Array(piece);
      forEachLineOf(copy, firstLine, (text, line) => lines.push([line, text]));
      expect(firstLine).toBeGreaterThan(counted);
      counted = firstLine + count - 1;
    },
    (line) => overlong.push(line),
  );
  return { lines, overlong };
}

const lineArb = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => s.replace(/\n/g, '')),
  fc.constantFrom('', '\r', '   ', 'ü写真', '{"a":1}\r'),
  fc.integer({ min: 0, max: 30 }).map((n) => 'x'.repeat(n)),
);

describe('lines in pieces', () => {
  it('gives the lines, line numbers and overlong lines a plain split gives, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(lineArb, { maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 10 }),
        async (lines, finalNewline, maxBytes, cuts) => {
          const text = Buffer.from(lines.join('\n') + (finalNewline && lines.length > 0 ? '\n' : ''));
          const chunks: Buffer[] = [];
          for (let at = 0, i = 0; at < text.length; i++) {
            const size = cuts[i % cuts.length];
            chunks.push(text.subarray(at, at + size));
            at += size;
          }
          expect(await viaPieces(chunks, maxBytes)).toEqual(reference(text, maxBytes));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never holds an overlong line: its bytes are dropped as they come', async () => {
    const MiB = 1024 * 1024;
    const chunks = [Buffer.from('{"a":1}\n'), ...Array.from({ length: 64 }, () => Buffer.alloc(MiB, 120)), Buffer.from('\n{"b":2}')];
    const seen: number[] = [];
    await forEachPiece(
      Readable.from(chunks),
      1024,
      (piece) => void seen.push(piece.length),
      () => undefined,
    );
    expect(Math.max(...seen)).toBeLessThanOrEqual(8);
  });
});
