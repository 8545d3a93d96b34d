import mysql from 'mysql2/promise';
import { randomSuffix } from './wait';

export const MYSQL_ROOT_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A throw-away database on the test MariaDB, dropped by `drop()`. */
export async function tempMysqlDatabase(prefix = 'chat_test'): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomSuffix()}`;
  const root = new URL(MYSQL_ROOT_URL);
  const conn = await mysql.createConnection({ host: root.hostname, port: Number(root.port || 3306), user: root.username || 'root', password: root.password });
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  const url = new URL(MYSQL_ROOT_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = await mysql.createConnection({ host: root.hostname, port: Number(root.port || 3306), user: root.username || 'root', password: root.password });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
