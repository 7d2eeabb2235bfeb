/**
 * Strict ISO 8601 times with a zone, the only form AWS writes (`2026-11-20T10:00:00Z`,
 * `2026-11-20T10:00:00.123+02:00`). `Date.parse` is not used: it accepts `"1"` (the year 2001), `"Nov 20 2026"`
 * (in the machine's local time) and `2026-02-30` (rolled into March), and an event time that depends on the
 * machine that reads it is no event time at all.
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const ZERO = 48;

/** Two decimal digits at `at`, or -1. */
function two(text: string, at: number): number {
  const a = text.charCodeAt(at) - ZERO;
  const b = text.charCodeAt(at + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` as epoch milliseconds (fraction beyond milliseconds truncated);
 * undefined for anything else: no zone, a date or time out of range, lowercase separators, basic format.
 */
export function parseIsoTime(text: string): number | undefined {
  const length = text.length;
  if (length < 20 || length > 40) return undefined;
  const y1 = two(text, 0);
  const y2 = two(text, 2);
  const month = two(text, 5);
  const day = two(text, 8);
  const hour = two(text, 11);
  const minute = two(text, 14);
  const second = two(text, 17);
  if (
    y1 < 0 ||
    y2 < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return undefined;
  }
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  const year = y1 * 100 + y2;
  if (day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1])) return undefined;
  let at = 19;
  let millis = 0;
  if (text[at] === '.') {
    at++;
    const start = at;
    let scale = 100;
    for (; at < length; at++) {
      const digit = text.charCodeAt(at) - ZERO;
      if (digit < 0 || digit > 9) break;
      millis += digit * scale;
      scale /= 10;
    }
    if (at === start) return undefined;
    millis = Math.floor(millis);
  }
  let offsetMinutes: number;
  if (text[at] === 'Z' && at + 1 === length) {
    offsetMinutes = 0;
  } else if ((text[at] === '+' || text[at] === '-') && at + 6 === length && text[at + 3] === ':') {
    const offsetHours = two(text, at + 1);
    const offsetMins = two(text, at + 4);
    if (offsetHours < 0 || offsetHours > 23 || offsetMins < 0 || offsetMins > 59) return undefined;
    offsetMinutes = (text[at] === '+' ? 1 : -1) * (offsetHours * 60 + offsetMins);
  } else {
    return undefined;
  }
  const days = daysFromCivil(year, month, day);
  return ((days * 24 + hour) * 60 + minute - offsetMinutes) * 60_000 + second * 1000 + millis;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm): exact, no Date object, any year 0–9999. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
