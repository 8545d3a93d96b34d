import { loadConfig } from '../src';

const SECRET = 's'.repeat(32);

describe('loadConfig', () => {
  test('nothing configured is the embedded default', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 8080,
      clustered: false,
      TRUST_PROXY_HOPS: 0,
      METRICS_PORT: 9464,
      METRICS_HOST: '127.0.0.1',
      GUEST_SESSIONS: true,
      serverApiKeys: [],
    });
    expect(c.appJwt).toBeUndefined();
    expect(c.HISTORY_RATE_LIMIT).toEqual({ points: 10, durationSec: 1 });
  });

  test.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['MESSAGE_RATE_LIMIT', '20 per second'],
    ['HISTORY_RATE_LIMIT', '10'],
    ['TOKEN_TTL_SEC', '0'],
    ['TOKEN_TTL_SEC', String(31 * 24 * 3600)],
    ['TOKEN_SECRET', 'short'],
    ['APP_JWT_SECRET', 'short'],
    ['GUEST_SESSIONS', 'maybe'],
    ['TRUST_PROXY_HOPS', '-1'],
    ['SOCKET_PARSER', 'xml'],
    ['REDIS_URL', 'not a url'],
    ['REDIS_KEY_PREFIX', 'has space'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`invalid configuration:[\\s\\S]*${name}`));
  });

  test('a cluster node refuses to start without TOKEN_SECRET', () => {
    expect(() => loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/TOKEN_SECRET: required/);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000' })).toThrow(/TOKEN_SECRET: required/);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', TOKEN_SECRET: SECRET }).clustered).toBe(true);
  });

  test('tokens live at most 30 days', () => {
    expect(loadConfig({ TOKEN_TTL_SEC: String(30 * 24 * 3600) }).TOKEN_TTL_SEC).toBe(2_592_000);
  });

  test('app identity: a secret or a public key, not both; a PEM on one line is unescaped', () => {
    expect(() => loadConfig({ APP_JWT_SECRET: SECRET, APP_JWT_PUBLIC_KEY: 'pem' })).toThrow(/not both/);
    expect(loadConfig({ APP_JWT_SECRET: SECRET, APP_JWT_ISSUER: 'iss' }).appJwt).toEqual({ secret: SECRET, issuer: 'iss' });
    expect(loadConfig({ APP_JWT_PUBLIC_KEY: '-----BEGIN-----\\nabc\\n-----END-----' }).appJwt).toEqual({ publicKeyPem: '-----BEGIN-----\nabc\n-----END-----' });
  });

  test('server API keys: comma-separated, each at least 32 characters', () => {
    expect(loadConfig({ SERVER_API_KEYS: `${'a'.repeat(32)}, ${'b'.repeat(40)}` }).serverApiKeys).toEqual(['a'.repeat(32), 'b'.repeat(40)]);
    expect(() => loadConfig({ SERVER_API_KEYS: 'short' })).toThrow(/SERVER_API_KEYS/);
  });

  test('Redis Cluster nodes are host:port pairs', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'a:1, b:2', TOKEN_SECRET: SECRET }).redisClusterNodes).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(() => loadConfig({ REDIS_CLUSTER_NODES: 'a', TOKEN_SECRET: SECRET })).toThrow(/REDIS_CLUSTER_NODES/);
  });
});
