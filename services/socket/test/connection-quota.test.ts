import { createConnectionQuota } from '../src/connection-quota';

describe('connection quota', () => {
  test('gives each user up to the cap and takes slots back on release', () => {
    const quota = createConnectionQuota(2);
    const a1 = quota.take('a');
    const a2 = quota.take('a');
    expect(a1 && a2).toBeTruthy();
    expect(quota.take('a')).toBeUndefined();
    expect(quota.take('b')).toBeDefined();
    a1!();
    expect(quota.held('a')).toBe(1);
    expect(quota.take('a')).toBeDefined();
  });

  test('a release counts once however often it is called', () => {
    const quota = createConnectionQuota(3);
    const release = quota.take('a')!;
    quota.take('a');
    release();
    release();
    expect(quota.held('a')).toBe(1);
  });
});
