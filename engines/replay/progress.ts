/**
 * The progress line `analyze` keeps on stderr while it reads, only when stderr is a terminal: inputs done of those
 * listed so far, bytes, events per second and, once the listing is complete and sizes are known, the time left.
 * Redrawn in place at most every `intervalMillis`; `clear` wipes it before another line is printed, `end` for good.
 */
const MB = 1e6;

/** What the replay tells the progress line. */
export interface ProgressSink {
  list(size: number | undefined): void;
  listingComplete(): void;
  /** Bytes of an input read so far (before it is read to its end). */
  advance(bytes: number): void;
  /** An input read to its end: its size, less what `advance` already counted. */
  inputRead(size: number | undefined): void;
  parsed(events: number): void;
}

export interface ProgressClock {
  now(): number;
}

export class Progress implements ProgressSink {
  private files = 0;
  private listed = 0;
  private listingDone = false;
  private bytesDone = 0;
  private bytesListed = 0;
  private sizesKnown = true;
  private events = 0;
  private readonly started: number;
  private drawnAt = -Infinity;
  private shown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly clock: ProgressClock = Date,
    private readonly intervalMillis = 250,
  ) {
    this.started = clock.now();
  }

  /** An input listed, with its size when known. */
  list(size: number | undefined): void {
    this.listed++;
    if (size === undefined) this.sizesKnown = false;
    else this.bytesListed += size;
    this.draw();
  }

  /** Every input is listed: the totals are final. */
  listingComplete(): void {
    this.listingDone = true;
  }

  advance(bytes: number): void {
    this.bytesDone += bytes;
    this.draw();
  }

  /** An input read to its end (handed to the parsers). */
  inputRead(size: number | undefined): void {
    this.files++;
    this.bytesDone += size ?? 0;
    this.draw();
  }

  parsed(events: number): void {
    this.events += events;
    this.draw();
  }

  /** The line as it reads now. */
  line(): string {
    const seconds = Math.max(0.001, (this.clock.now() - this.started) / 1000);
    const rate = this.events / seconds;
    const parts = [
      `analyze: ${this.files.toLocaleString('en-US')}/${this.listed.toLocaleString('en-US')}${this.listingDone ? '' : '+'} inputs`,
      `${(this.bytesDone / MB).toFixed(1)} MB`,
      `${Math.round(rate).toLocaleString('en-US')} events/s`,
    ];
    if (this.listingDone && this.sizesKnown && this.bytesDone > 0) {
      const left = (seconds * (this.bytesListed - this.bytesDone)) / this.bytesDone;
      parts.push(`ETA ${formatDuration(left)}`);
    }
    return parts.join(', ');
  }

  private draw(force = false): void {
    const now = this.clock.now();
    if (!force && now - this.drawnAt < this.intervalMillis) return;
    this.drawnAt = now;
    this.shown = true;
    this.write(`\r\x1b[K${this.line()}`);
  }

  /** Wipes the line (before another line is printed; the next update draws it again). */
  clear(): void {
    if (!this.shown) return;
    this.write('\r\x1b[K');
    this.shown = false;
    this.drawnAt = -Infinity;
  }

  end(): void {
    this.clear();
  }
}

/** Seconds as `m:ss` (or `h:mm:ss`). */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
