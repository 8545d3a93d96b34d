import { createKeyedThrottle } from '../src/throttle';

describe('keyed throttle', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Lets the throttle's promise chain run after a timer fired. */
  const settle = () => Promise.resolve().then(() => undefined);

  test('requests within an interval collapse into one trailing run per key', async () => {
    const runs: string[] = [];
    const t = createKeyedThrottle({ intervalMs: 250, run: (k) => void runs.push(k) });
    for (let i = 0; i < 100; i++) t.request('room-a');
    t.request('room-b');
    await jest.advanceTimersByTimeAsync(20);
    await settle();
    expect(runs.sort()).toEqual(['room-a', 'room-b']);
    // More requests right after a run wait out the interval, then run once.
    for (let i = 0; i < 10; i++) t.request('room-a');
    await jest.advanceTimersByTimeAsync(200);
    expect(runs.filter((k) => k === 'room-a')).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(60);
    await settle();
    expect(runs.filter((k) => k === 'room-a')).toHaveLength(2);
    t.close();
  });

  test('a per-key interval is read on every request', async () => {
    const runs: string[] = [];
    const t = createKeyedThrottle({ intervalMs: (k) => (k === 'big' ? 1000 : 100), run: (k) => void runs.push(k) });
    t.request('big');
    t.request('small');
    await jest.advanceTimersByTimeAsync(20);
    t.request('big');
    t.request('small');
    await jest.advanceTimersByTimeAsync(150);
    expect(runs.sort()).toEqual(['big', 'small', 'small']);
    await jest.advanceTimersByTimeAsync(900);
    expect(runs.filter((k) => k === 'big')).toHaveLength(2);
    t.close();
  });

  test('close drops pending runs and later requests; errors go to onError', async () => {
    const errors: unknown[] = [];
    const runs: string[] = [];
    const t = createKeyedThrottle({
      intervalMs: 50,
      run: (k) => {
        runs.push(k);
        throw new Error(`boom ${k}`);
      },
      onError: (e) => errors.push(e),
    });
    t.request('a');
    await jest.advanceTimersByTimeAsync(25);
    await settle();
    expect(errors).toHaveLength(1);
    t.request('b');
    t.close();
    t.close();
    t.request('c');
    await jest.advanceTimersByTimeAsync(1000);
    expect(runs).toEqual(['a']);
    expect(jest.getTimerCount()).toBe(0);
  });
});
