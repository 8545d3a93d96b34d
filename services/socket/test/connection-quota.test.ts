import { createConnectionQuota } from '../src/connection-quota';

describe('connection quota', () => {
  test('gives each user up to the cap and takes slots back on release', () => {
    const quota = createConnectionQuota(2);
    expect(quota.take('a')).toBe(true);
    expect(quota.take('a')).toBe(true);
    expect(quota.take('a')).toBe(false);
    expect(quota.take('b')).toBe(true);
    quota.release('a');
    expect(quota.held('a')).toBe(1);
    expect(quota.take('a')).toBe(true);
  });

  test('a user with no slot left is forgotten; a release beyond the takes does not go negative', () => {
    const quota = createConnectionQuota(3);
    quota.take('a');
    quota.release('a');
    quota.release('a');
    expect(quota.held('a')).toBe(0);
    expect(quota.take('a')).toBe(true);
    expect(quota.held('a')).toBe(1);
  });
});
