import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { embeddedServer, installPacked } from './helpers';

const run = promisify(execFile);
jest.setTimeout(120_000);

/** The code block after the `<!-- example: ... -->` marker in the package README. */
function readmeExample(): string {
  const readme = fs.readFileSync(path.resolve(__dirname, '../README.md'), 'utf8');
  const match = readme.match(/<!-- example:[^>]*-->\s*```js\n([\s\S]*?)```/);
  if (!match) throw new Error('README.md has no example block after an <!-- example: --> marker');
  return match[1]!;
}

test('the README example runs as written against a server, with the packed package', async () => {
  const [dir, server] = await Promise.all([installPacked(), embeddedServer()]);
  try {
    const file = path.join(dir, 'example.mjs');
    fs.writeFileSync(file, readmeExample());
    const { stdout, stderr } = await run(process.execPath, [file], { cwd: dir, env: { ...process.env, CHAT_URL: server.url }, timeout: 30_000 });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^keep this to use the nickName again: [A-Za-z0-9_-]{32,}$/m);
    expect(stdout).toMatch(/^state: online$/m);
    expect(stdout).toMatch(/^stored as seq \d+$/m);
    // Its own join line came in as the one recent message, then its message live.
    expect(stdout).toMatch(/^#\d+ ada-\d+: hello from the SDK$/m);
    expect(stdout).toMatch(/^older messages: \d+/m);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
