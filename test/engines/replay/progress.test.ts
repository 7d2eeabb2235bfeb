import { formatDuration, Progress } from '../../../engines/replay/progress';

describe('the progress line', () => {
  it('shows inputs, bytes, events/s and, once everything is listed, the time left; redrawn at most every interval', () => {
    let now = 1_000;
    const written: string[] = [];
    const progress = new Progress((text) => written.push(text), { now: () => now }, 250);
    progress.list(40e6);
    progress.list(60e6);
    expect(written).toEqual(['\r\x1b[Kanalyze: 0/1+ inputs, 0.0 MB, 0 events/s']);
    now += 2_000;
    progress.inputRead(40e6);
    progress.parsed(300_000);
    progress.listingComplete();
    now += 1_000;
    progress.parsed(0);
    expect(written.at(-1)).toBe('\r\x1b[Kanalyze: 1/2 inputs, 40.0 MB, 100,000 events/s, ETA 0:05');
    const count = written.length;
    progress.parsed(1); // within the interval: not redrawn
    expect(written).toHaveLength(count);
    progress.clear();
    expect(written.at(-1)).toBe('\r\x1b[K');
    expect(formatDuration(3_725)).toBe('1:02:05');
    expect(formatDuration(59.6)).toBe('1:00');
  });
});
