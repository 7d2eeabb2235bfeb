import fc from 'fast-check';
import { ownerOf, versionHash } from '../../../engines/replay/partition';

describe('the owner of a version', () => {
  it('is one of the workers, the same every time, and depends on key and version ID together', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 1, max: 64 }), (key, versionId, workers) => {
        const owner = ownerOf(key, versionId, workers);
        expect(Number.isInteger(owner) && owner >= 0 && owner < workers).toBe(true);
        expect(ownerOf(key, versionId, workers)).toBe(owner);
      }),
    );
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(versionHash('ab', 'c')).not.toBe(versionHash('a', 'bc'));
  });

  it('spreads versions evenly over the workers (within 5 % for 20,000 versions)', () => {
    for (const workers of [2, 3, 4, 8]) {
      const counts = new Array<number>(workers).fill(0);
      for (let i = 0; i < 20_000; i++) counts[ownerOf(`data/${i % 97}/object-${i}.json`, `v${(i * 7919).toString(36)}Xq`, workers)]++;
      const even = 20_000 / workers;
      for (const n of counts) expect(Math.abs(n - even) / even).toBeLessThan(0.05);
    }
  });
});
