/**
 * The rejection lines on stderr, bounded: the first `limit` rejections are printed one line each (place and
 * reason, control characters escaped), the rest only counted per kind of reason and summed up at the end, so
 * that millions of bad lines cannot flood a terminal or a log. The report's counts stay exact either way.
 */
import { printable } from './format';

const DEFAULT_REJECTION_LINES = 1000;
/** Distinct kinds counted in the summary; more fall under "other reasons" (the summary stays bounded too). */
const MAX_KINDS = 50;

/** A reason without its particulars (quoted values, numbers, details in parentheses): what it is a case of. */
function kindOf(reason: string): string {
  const kind = reason
    .replace(/'[^']*'|"[^"]*"|`[^`]*`/g, '…')
    .replace(/\([^)]*\)/g, '')
    .replace(/\d+/g, 'N')
    .replace(/\s+/g, ' ')
    .trim();
  return kind.length > 100 ? kind.slice(0, 100) + '…' : kind;
}

export class RejectionLog {
  private printed = 0;
  private readonly unprinted = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly limit = DEFAULT_REJECTION_LINES,
  ) {}

  get count(): number {
    return this.total;
  }

  reject(place: string, reason: string): void {
    this.total++;
    if (this.printed < this.limit) {
      this.printed++;
      this.write(`rejected ${printable(place)}: ${printable(reason)}`);
      return;
    }
    let kind = kindOf(reason);
    if (!this.unprinted.has(kind) && this.unprinted.size >= MAX_KINDS) kind = 'other reasons';
    this.unprinted.set(kind, (this.unprinted.get(kind) ?? 0) + 1);
  }

  /** The summary of what was not printed, if anything; call once at the end. */
  finish(): void {
    if (this.unprinted.size === 0) return;
    const rest = this.total - this.printed;
    const kinds = [...this.unprinted].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    this.write(`rejected: ${rest} more not shown (first ${this.printed} above), by reason:`);
    for (const [kind, n] of kinds) this.write(`  ${n} ${printable(kind)}`);
  }
}
