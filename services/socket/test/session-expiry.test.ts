import { armExpiry } from '../src/session-expiry';

describe('session expiry', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => {
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  test('fires once the deadline has passed, not before', () => {
    const fired = jest.fn();
    armExpiry(Date.now() + 5000, fired);
    jest.advanceTimersByTime(4999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  test('a deadline past what one timer can wait is reached in steps', () => {
    const fired = jest.fn();
    const days40 = 40 * 24 * 3600 * 1000;
    armExpiry(Date.now() + days40, fired);
    jest.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(days40 - (2 ** 31 - 1));
    expect(fired).toHaveBeenCalledTimes(1);
  });

  test('an expired deadline fires at once; a cleared one never', () => {
    const late = jest.fn();
    armExpiry(Date.now() - 1, late);
    expect(late).toHaveBeenCalledTimes(1);
    const cleared = jest.fn();
    const clear = armExpiry(Date.now() + 1000, cleared);
    clear();
    clear();
    jest.advanceTimersByTime(2000);
    expect(cleared).not.toHaveBeenCalled();
  });
});
