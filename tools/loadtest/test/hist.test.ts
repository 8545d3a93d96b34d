import { createHistogram, encodeHistogram, mergeEncoded, summarize } from '../src/hist';
import { decodePayload, encodePayload } from '../src/content';
import { parseRssMb } from '../src/proc';

describe('histograms merged across workers', () => {
  it('merges encoded histograms into the same percentiles as one histogram', () => {
    const a = createHistogram();
    const b = createHistogram();
    const all = createHistogram();
    for (let i = 1; i <= 1000; i++) {
      (i % 2 ? a : b).recordValue(i * 1000); // 1..1000 ms in µs
      all.recordValue(i * 1000);
    }
    const merged = mergeEncoded([encodeHistogram(a), encodeHistogram(b), undefined]);
    expect(merged.totalCount).toBe(1000);
    // Encoding keeps each value's bucket, so max may move within the 3-significant-digit precision.
    const { max: mMax, ...m } = summarize(merged);
    const { max: aMax, ...x } = summarize(all);
    expect(m).toEqual(x);
    expect(Math.abs(mMax - aMax)).toBeLessThanOrEqual(aMax / 1000);
    const s = summarize(merged);
    expect(s.p50).toBeCloseTo(500, -1);
    expect(s.p99).toBeCloseTo(990, -1);
    expect(s.max).toBeCloseTo(1000, -1);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(summarize(createHistogram())).toMatchObject({ count: 0, p99: 0, max: 0 });
  });
});

describe('payload', () => {
  it('round-trips and pads to the requested size', () => {
    const p = { r: 'abc123', s: 7, n: 42, t: 1700000000123.456, p: 0 };
    const c = encodePayload(p, 300);
    expect(c.length).toBe(300);
    expect(decodePayload(c, 'abc123')).toEqual(p);
    expect(decodePayload(encodePayload(p), 'abc123')).toEqual(p);
  });

  it('ignores other runs and ordinary chat', () => {
    expect(decodePayload(encodePayload({ r: 'other1', s: 1, n: 1, t: 1, p: 0 }), 'abc123')).toBeUndefined();
    expect(decodePayload('hello', 'abc123')).toBeUndefined();
    expect(decodePayload('{"r":"abc123", broken', 'abc123')).toBeUndefined();
  });
});

describe('parseRssMb', () => {
  it('reads VmRSS from /proc status text', () => {
    expect(parseRssMb('Name:\tnode\nVmRSS:\t  204800 kB\nThreads: 7\n')).toBe(200);
    expect(parseRssMb('Name:\tnode\n')).toBeUndefined();
  });
});
