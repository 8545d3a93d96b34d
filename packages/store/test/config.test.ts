import { knexConfig } from '../src';

describe('knexConfig', () => {
  test('MySQL URL becomes mysql2 settings', () => {
    const config = knexConfig({ mysqlUrl: 'mysql://chat:p%40ss@db.local:3307/chat' });
    expect(config.client).toBe('mysql2');
    expect(config.connection).toEqual({
      host: 'db.local',
      port: 3307,
      user: 'chat',
      password: 'p@ss',
      database: 'chat',
      supportBigNumbers: true,
      charset: 'utf8mb4',
      timezone: 'Z',
    });
    expect(config.pool).toMatchObject({ min: 0, max: 10 });
  });

  test('MySQL URL without database or port', () => {
    const config = knexConfig({ mysqlUrl: 'mysql://root@127.0.0.1' });
    expect(config.connection).toMatchObject({ host: '127.0.0.1', port: 3306, user: 'root', password: '' });
    expect(config.connection).not.toHaveProperty('database');
  });

  test('a non-MySQL URL is refused', () => {
    expect(() => knexConfig({ mysqlUrl: 'postgres://x@y/z' })).toThrow(/mysql:\/\//);
    expect(() => knexConfig({ mysqlUrl: 'not a url' })).toThrow(/valid URL/);
  });

  test('SQLite: one connection, null as default', () => {
    const config = knexConfig({ sqliteFile: '/tmp/x.db' });
    expect(config).toMatchObject({ client: 'better-sqlite3', connection: { filename: '/tmp/x.db' }, useNullAsDefault: true });
    expect(config.pool).toMatchObject({ max: 1 });
    expect(typeof config.pool?.afterCreate).toBe('function');
  });
});

describe('knexConfig TLS', () => {
  test('?ssl=true asks for verified TLS; MYSQL_SSL_CA passes the CA', () => {
    expect(knexConfig({ mysqlUrl: 'mysql://u@db/chat?ssl=true' }).connection).toMatchObject({ ssl: { rejectUnauthorized: true } });
    expect(knexConfig({ mysqlUrl: 'mysql://u@db/chat?ssl=required' }).connection).toMatchObject({ ssl: { rejectUnauthorized: true } });
    expect(knexConfig({ mysqlUrl: 'mysql://u@db/chat', sslCa: 'PEM' }).connection).toMatchObject({ ssl: { ca: 'PEM', rejectUnauthorized: true } });
    expect(knexConfig({ mysqlUrl: 'mysql://u@db/chat?ssl=false' }).connection).not.toHaveProperty('ssl');
    expect(() => knexConfig({ mysqlUrl: 'mysql://u@db/chat?ssl=maybe' })).toThrow(/ssl/);
  });
});
