/**
 * A fast path in front of `parseTextInto` (parse.ts) for the shape the offline replay reads millions of times: one
 * JSON Lines line holding an EventBridge event (`detail-type` a string: "AWS API Call via CloudTrail", S3's own
 * `Object Created`...). It walks the line's bytes once, checking that they are well-formed JSON exactly as
 * `JSON.parse` would (strings and every escape, numbers, literals, nesting, nothing after the value), and keeps
 * only the places of the fields parse.ts reads for that shape. From those it builds a small document holding just
 * those fields, with the values `JSON.parse` would give them (objects and arrays it does not read stand in as empty
 * ones of the same kind), and hands it to parse.ts's own `parseDocumentInto`: every rule (source aws.s3, detail-type,
 * eventSource, the write set, errorCode, the version ID's precedence, bytesTransferredIn, the replication writer,
 * times) is parse.ts's, applied to the same values, so the result is the same by construction.
 *
 * Whatever it is not sure of it declines ("not mine": false), and the caller parses the text as before: any
 * other shape (CloudTrail log files and notifications with `Records`, SNS/SQS envelopes), a line that is not valid
 * JSON, a field that appears twice where parse.ts reads it (JSON.parse keeps the last: declining is simpler than
 * keeping it), nesting deeper than `MAX_DEPTH`, and any result with a rejection (the fallback then words it).
 *
 * The win is in what is not built: `JSON.parse` makes every object, key and string of a ~2 KB event; this makes a
 * dozen. Strings without escapes are decoded from the bytes with Buffer's UTF-8 decoder, which is the decoding the
 * caller's `bytes.toString('utf8', start, end)` of the whole line would give them (each is delimited by ASCII
 * quotes, so no multi-byte sequence or replacement character straddles its ends); the rare escaped string or
 * non-integer number is decoded by `JSON.parse` of its own slice.
 */
import { parseDocumentInto, type ParseResult } from './parse';

/** Deeper JSON is declined (JSON.parse would read it; this hot path has no need to). */
const MAX_DEPTH = 64;

// The kind of value found for a field (0: absent).
const ABSENT = 0;
const STRING = 1;
const NUMBER = 2;
const OBJECT = 3;
const ARRAY = 4;
const TRUE = 5;
const FALSE = 6;
const NULL = 7;

// Field IDs: one per field parse.ts reads of an EventBridge event, by the object that holds it.
const F_DETAIL_TYPE = 0;
const F_SOURCE = 1;
const F_DETAIL = 2;
const F_EVENT_SOURCE = 3;
const F_EVENT_NAME = 4;
const F_ERROR_CODE = 5;
const F_REQUEST = 6;
const F_RESPONSE = 7;
const F_EXTRA = 8;
const F_IDENTITY = 9;
const F_SOURCE_IP = 10;
const F_EVENT_TIME = 11;
const F_BUCKET = 12;
const F_KEY = 13;
const F_REQUEST_VERSION = 14;
const F_RESPONSE_VERSION = 15;
const F_BYTES_IN = 16;
const F_PRINCIPAL = 17;
const F_INVOKED_BY = 18;
const FIELDS = 19;

/** The fields an object holds that parse.ts reads: name (as bytes) → field ID, and the table of a field that is an object. */
interface Table {
  readonly names: readonly Uint8Array[];
  readonly ids: readonly number[];
  readonly children: readonly (Table | undefined)[];
  /** By name length: the first name of that length (-1: none), then `next` of each name. */
  readonly first: Int8Array;
  readonly next: Int8Array;
}

const LONGEST_NAME = 31;

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function table(entries: readonly (readonly [string, number, Table?])[]): Table {
  const first = new Int8Array(LONGEST_NAME + 1).fill(-1);
  const next = new Int8Array(entries.length).fill(-1);
  entries.forEach(([name], f) => {
    next[f] = first[name.length];
    first[name.length] = f;
  });
  return {
    names: entries.map(([name]) => ascii(name)),
    ids: entries.map(([, id]) => id),
    children: entries.map(([, , t]) => t),
    first,
    next,
  };
}

const REQUEST = table([
  ['bucketName', F_BUCKET],
  ['key', F_KEY],
  ['x-amz-version-id', F_REQUEST_VERSION],
]);
const RESPONSE = table([['x-amz-version-id', F_RESPONSE_VERSION]]);
const EXTRA = table([['bytesTransferredIn', F_BYTES_IN]]);
const IDENTITY = table([
  ['principalId', F_PRINCIPAL],
  ['invokedBy', F_INVOKED_BY],
]);
const DETAIL = table([
  ['eventSource', F_EVENT_SOURCE],
  ['eventName', F_EVENT_NAME],
  ['errorCode', F_ERROR_CODE],
  ['requestParameters', F_REQUEST, REQUEST],
  ['responseElements', F_RESPONSE, RESPONSE],
  ['additionalEventData', F_EXTRA, EXTRA],
  ['userIdentity', F_IDENTITY, IDENTITY],
  ['sourceIPAddress', F_SOURCE_IP],
  ['eventTime', F_EVENT_TIME],
]);
const ROOT = table([
  ['detail-type', F_DETAIL_TYPE],
  ['source', F_SOURCE],
  ['detail', F_DETAIL, DETAIL],
]);

/**
 * Strings met often enough to be worth not decoding: when a field's bytes spell one of these, the constant itself
 * is its value (the same string; no copy made).
 */
const COMMON = [
  'aws.s3',
  'AWS API Call via CloudTrail',
  's3.amazonaws.com',
  'PutObject',
  'CopyObject',
  'CompleteMultipartUpload',
  'UploadPart',
  'GetObject',
].map((text) => ({ text, bytes: ascii(text) }));

// The scan's result: one line at a time, synchronously, so module state is safe.
let src: Buffer = Buffer.alloc(0);
const kinds = new Int8Array(FIELDS);
/** A field's value: its content between the quotes for a string, its text for a number. */
const starts = new Int32Array(FIELDS);
const ends = new Int32Array(FIELDS);
const escaped = new Uint8Array(FIELDS);

/** Bytes that stand for themselves inside a string: all but '"', '\\' and control characters (from 0x80: UTF-8, or its replacement). */
const PLAIN = new Uint8Array(256).map((_, c) => (c >= 32 && c !== 34 && c !== 92 ? 1 : 0));
const SPACE = new Uint8Array(256).map((_, c) => (c === 32 || c === 9 || c === 13 || c === 10 ? 1 : 0));
const DIGIT = new Uint8Array(256).map((_, c) => (c >= 48 && c <= 57 ? 1 : 0));
const HEX = new Uint8Array(256).map((_, c) => ((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) ? 1 : 0));
/** After a backslash: the escapes JSON has besides \uXXXX. */
const SHORT_ESCAPE = new Uint8Array(256).map((_, c) => ('"\\/bfnrt'.includes(String.fromCharCode(c)) ? 1 : 0));

/** A view of the bytes' memory four at a time (of the last buffer scanned: a piece holds many lines). */
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);
let wordsOf: ArrayBufferLike | undefined;

/**
 * Past the plain bytes of a string from `i`: to its closing quote, a backslash or a control character. Four bytes
 * at a time where they are aligned: a word has none of those when no byte is below 0x20, none is '"' and none is
 * '\\' (the classic has-a-byte-less-than / has-a-zero-byte tests, whose false alarms only ever follow a true one
 * in a lower byte, so the byte loop after them finds it). Most of an event's bytes are inside strings.
 */
function skipPlain(bytes: Buffer, i: number, stop: number): number {
  const base = bytes.byteOffset;
  const plain = PLAIN;
  const w32 = words;
  while (i < stop && ((base + i) & 3) !== 0) {
    if (plain[bytes[i]] !== 1) return i;
    i++;
  }
  while (i + 4 <= stop) {
    const w = w32[(base + i) >> 2];
    const quote = w ^ 0x22222222;
    const backslash = w ^ 0x5c5c5c5c;
    if ((((w - 0x20202020) & ~w) | ((quote - 0x01010101) & ~quote) | ((backslash - 0x01010101) & ~backslash)) & 0x80808080) break;
    i += 4;
  }
  while (i < stop && plain[bytes[i]] === 1) i++;
  return i;
}

/** The field ID of the key at bytes[from, to) in an object read through `fields`: -1 for a key not read, -2 to decline. */
function fieldOf(fields: Table, bytes: Buffer, from: number, to: number, escapes: boolean): number {
  if (escapes) {
    // An escaped key may spell a field's name: decoded as JSON.parse decodes it, then compared.
    const name = JSON.parse(bytes.toString('utf8', from - 1, to + 1)) as string;
    for (let f = 0; f < fields.names.length; f++) if (String.fromCharCode(...fields.names[f]) === name) return -2;
    return -1;
  }
  const length = to - from;
  if (length > LONGEST_NAME) return -1;
  for (let f = fields.first[length]; f >= 0; f = fields.next[f]) {
    const name = fields.names[f];
    let i = 0;
    while (i < length && bytes[from + i] === name[i]) i++;
    if (i === length) return f;
  }
  return -1;
}

// What the walk expects next.
const EXPECT_KEY_OR_END = 0;
const EXPECT_KEY = 1;
const EXPECT_VALUE_OR_END = 2;
const EXPECT_VALUE = 3;
const EXPECT_COMMA_OR_END = 4;

const containerIsArray = new Uint8Array(MAX_DEPTH + 1);
const containerFields: (Table | undefined)[] = new Array<Table | undefined>(MAX_DEPTH + 1).fill(undefined);

/**
 * Checks that bytes[start, stop) are one JSON object (white space around it) and notes the fields `ROOT` names.
 * One loop over locals with an explicit stack of containers: the hot part of the replay.
 */
function walk(bytes: Buffer, start: number, stop: number): boolean {
  // The tables as locals: a module binding is a load per use in the loop.
  const space = SPACE;
  const hex = HEX;
  const digit = DIGIT;
  const shortEscape = SHORT_ESCAPE;
  if (bytes.buffer !== wordsOf) {
    wordsOf = bytes.buffer;
    words = new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >> 2);
  }
  let i = start;
  while (i < stop && space[bytes[i]] === 1) i++;
  if (i >= stop || bytes[i] !== 123) return false;
  i++;
  let top = 0;
  containerIsArray[0] = 0;
  containerFields[0] = ROOT;
  let expect = EXPECT_KEY_OR_END;
  /** The field ID the next value is, -1 when it is not read. */
  let field = -1;
  for (;;) {
    while (i < stop && space[bytes[i]] === 1) i++;
    if (i >= stop) return false;
    let c = bytes[i];
    if (expect === EXPECT_COMMA_OR_END) {
      i++;
      if (c === 44) {
        expect = containerIsArray[top] === 1 ? EXPECT_VALUE : EXPECT_KEY;
        continue;
      }
      if (c !== (containerIsArray[top] === 1 ? 93 : 125)) return false;
      if (top === 0) break;
      top--;
      continue;
    }
    if (expect === EXPECT_KEY_OR_END || expect === EXPECT_KEY) {
      if (c === 125 && expect === EXPECT_KEY_OR_END) {
        i++;
        if (top === 0) break;
        top--;
        expect = EXPECT_COMMA_OR_END;
        continue;
      }
      if (c !== 34) return false;
      // The key.
      const from = ++i;
      let escapes = false;
      for (;;) {
        i = skipPlain(bytes, i, stop);
        if (i >= stop) return false;
        c = bytes[i];
        if (c === 34) break;
        if (c !== 92 || i + 1 >= stop) return false;
        escapes = true;
        c = bytes[i + 1];
        if (c === 117) {
          if (i + 5 >= stop || hex[bytes[i + 2]] + hex[bytes[i + 3]] + hex[bytes[i + 4]] + hex[bytes[i + 5]] !== 4) return false;
          i += 6;
        } else if (shortEscape[c] === 1) i += 2;
        else return false;
      }
      const fields = containerFields[top];
      field = -1;
      if (fields !== undefined) {
        const f = fieldOf(fields, bytes, from, i, escapes);
        if (f === -2) return false;
        if (f >= 0) {
          field = fields.ids[f];
          // Read twice: JSON.parse keeps the last, and its children may come from either. Not this path's business.
          if (kinds[field] !== ABSENT) return false;
          containerFields[top + 1] = fields.children[f];
        }
      }
      i++;
      while (i < stop && space[bytes[i]] === 1) i++;
      if (i >= stop || bytes[i] !== 58) return false;
      i++;
      expect = EXPECT_VALUE;
      continue;
    }
    // A value (expect is EXPECT_VALUE or EXPECT_VALUE_OR_END).
    if (c === 93 && expect === EXPECT_VALUE_OR_END) {
      i++;
      top--;
      expect = EXPECT_COMMA_OR_END;
      continue;
    }
    const at = i;
    let kind: number;
    if (c === 34) {
      const from = ++i;
      let escapes = false;
      for (;;) {
        i = skipPlain(bytes, i, stop);
        if (i >= stop) return false;
        c = bytes[i];
        if (c === 34) break;
        if (c !== 92 || i + 1 >= stop) return false;
        escapes = true;
        c = bytes[i + 1];
        if (c === 117) {
          if (i + 5 >= stop || hex[bytes[i + 2]] + hex[bytes[i + 3]] + hex[bytes[i + 4]] + hex[bytes[i + 5]] !== 4) return false;
          i += 6;
        } else if (shortEscape[c] === 1) i += 2;
        else return false;
      }
      if (field >= 0) {
        kinds[field] = STRING;
        starts[field] = from;
        ends[field] = i;
        escaped[field] = escapes ? 1 : 0;
      }
      i++;
      expect = EXPECT_COMMA_OR_END;
      field = -1;
      continue;
    }
    if (c === 123 || c === 91) {
      if (top === MAX_DEPTH) return false;
      const isArray = c === 91;
      if (field >= 0) kinds[field] = isArray ? ARRAY : OBJECT;
      // A container that is not a read field (or an array: parse.ts reads no array here) reads nothing inside.
      const fields = field >= 0 && !isArray ? containerFields[top + 1] : undefined;
      top++;
      containerIsArray[top] = isArray ? 1 : 0;
      containerFields[top] = fields;
      i++;
      expect = isArray ? EXPECT_VALUE_OR_END : EXPECT_KEY_OR_END;
      field = -1;
      continue;
    }
    if (c === 116) {
      if (i + 4 > stop || bytes[i + 1] !== 114 || bytes[i + 2] !== 117 || bytes[i + 3] !== 101) return false;
      i += 4;
      kind = TRUE;
    } else if (c === 102) {
      if (i + 5 > stop || bytes[i + 1] !== 97 || bytes[i + 2] !== 108 || bytes[i + 3] !== 115 || bytes[i + 4] !== 101) return false;
      i += 5;
      kind = FALSE;
    } else if (c === 110) {
      if (i + 4 > stop || bytes[i + 1] !== 117 || bytes[i + 2] !== 108 || bytes[i + 3] !== 108) return false;
      i += 4;
      kind = NULL;
    } else {
      // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
      if (c === 45) i++;
      if (i >= stop) return false;
      c = bytes[i];
      if (c === 48) i++;
      else if (c >= 49 && c <= 57) {
        i++;
        while (i < stop && digit[bytes[i]] === 1) i++;
      } else return false;
      if (i < stop && bytes[i] === 46) {
        const point = ++i;
        while (i < stop && digit[bytes[i]] === 1) i++;
        if (i === point) return false;
      }
      if (i < stop && (bytes[i] === 101 || bytes[i] === 69)) {
        i++;
        if (i < stop && (bytes[i] === 43 || bytes[i] === 45)) i++;
        const exponent = i;
        while (i < stop && digit[bytes[i]] === 1) i++;
        if (i === exponent) return false;
      }
      kind = NUMBER;
    }
    if (field >= 0) {
      kinds[field] = kind;
      starts[field] = at;
      ends[field] = i;
    }
    expect = EXPECT_COMMA_OR_END;
    field = -1;
  }
  // The object closed: only white space may follow.
  while (i < stop && space[bytes[i]] === 1) i++;
  return i === stop;
}

/** A field's string, as JSON.parse gives it. */
function stringOf(id: number): string {
  const from = starts[id];
  const to = ends[id];
  if (escaped[id] === 1) return JSON.parse(src.toString('utf8', from - 1, to + 1)) as string;
  const length = to - from;
  for (const common of COMMON) {
    const bytes = common.bytes;
    if (bytes.length !== length) continue;
    let i = 0;
    while (i < length && src[from + i] === bytes[i]) i++;
    if (i === length) return common.text;
  }
  return src.toString('utf8', from, to);
}

/** A field's value as JSON.parse gives it; objects it reads into are built by the caller, others stand in empty. */
function valueOf(id: number): unknown {
  switch (kinds[id]) {
    case STRING:
      return stringOf(id);
    case NUMBER:
      return numberOf(id);
    case OBJECT:
      return {};
    case ARRAY:
      return [];
    case TRUE:
      return true;
    case FALSE:
      return false;
    case NULL:
      return null;
    default:
      return undefined;
  }
}

/** A field's number: a whole number of up to 15 digits exactly here, any other through JSON.parse of its text. */
function numberOf(id: number): number {
  const from = starts[id];
  const to = ends[id];
  if (to - from <= 15) {
    let n = 0;
    let i = from;
    for (; i < to; i++) {
      const digit = src[i] - 48;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === to) return n;
  }
  return JSON.parse(src.toString('latin1', from, to)) as number;
}

/** An object field read into: `build`'s object when it is an object, else its value as it is. */
function objectOf(id: number, build: () => Record<string, unknown>): unknown {
  return kinds[id] === OBJECT ? build() : valueOf(id);
}

// The documents built here hold every field parse.ts reads, an absent one as undefined: parse.ts only ever reads a
// field's value (never `in` or its keys), for which absent and undefined are the same; one shape is faster.
const buildRequest = () => ({ bucketName: valueOf(F_BUCKET), key: valueOf(F_KEY), 'x-amz-version-id': valueOf(F_REQUEST_VERSION) });
const buildResponse = () => ({ 'x-amz-version-id': valueOf(F_RESPONSE_VERSION) });
const buildExtra = () => ({ bytesTransferredIn: valueOf(F_BYTES_IN) });
const buildIdentity = () => ({ principalId: valueOf(F_PRINCIPAL), invokedBy: valueOf(F_INVOKED_BY) });
const buildDetail = () => ({
  eventSource: valueOf(F_EVENT_SOURCE),
  eventName: valueOf(F_EVENT_NAME),
  errorCode: valueOf(F_ERROR_CODE),
  requestParameters: objectOf(F_REQUEST, buildRequest),
  responseElements: objectOf(F_RESPONSE, buildResponse),
  additionalEventData: objectOf(F_EXTRA, buildExtra),
  userIdentity: objectOf(F_IDENTITY, buildIdentity),
  sourceIPAddress: valueOf(F_SOURCE_IP),
  eventTime: valueOf(F_EVENT_TIME),
});

/**
 * `parseTextInto(bytes.toString('utf8', start, end), out)` for the lines this knows (see the module comment):
 * true when `out` holds that result, false ("not mine") when the caller must parse the text itself (`out` is then
 * left in no particular state).
 */
export function scanInto(bytes: Buffer, start: number, stop: number, out: ParseResult): boolean {
  kinds.fill(ABSENT);
  if (!walk(bytes, start, stop)) return false;
  src = bytes;
  // Without a string detail-type parse.ts reads other fields (envelopes, Records, a bare CloudTrail record).
  if (kinds[F_DETAIL_TYPE] !== STRING) return false;
  const doc = { 'detail-type': valueOf(F_DETAIL_TYPE), source: valueOf(F_SOURCE), detail: objectOf(F_DETAIL, buildDetail) };
  parseDocumentInto(doc, out);
  return out.rejected.length === 0;
}
