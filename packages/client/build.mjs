#!/usr/bin/env node
// @ts-check
/**
 * Builds @chat/client's dist/ (what `pnpm pack` ships, see publishConfig):
 *
 *   dist/index.mjs   ESM, for browsers (bundlers) and Node
 *   dist/index.cjs   CommonJS, for Node's require()
 *   dist/index.d.ts  the declarations, one file, the wire types of @chat/protocol inlined
 *
 * socket.io-client stays an import (a dependency of the package); nothing
 * else may be imported, so no Node built-in can reach the browser path.
 * `--no-types` skips the declarations (a few seconds of the TypeScript compiler).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.join(DIR, 'dist');
const ALLOWED_IMPORTS = ['socket.io-client'];
/** The declarations are kept here between builds and made again only when a source is newer. */
const TYPES_DIR = path.join(DIR, 'node_modules/.cache/chat-client');
const TYPES_FILE = path.join(TYPES_DIR, 'index.d.ts');
const TYPE_SOURCES = [path.join(DIR, 'src'), path.join(DIR, 'dts'), path.join(DIR, '../protocol/src')];

function typesFresh() {
  const built = fs.statSync(TYPES_FILE, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return false;
  const newer = (dir) =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .some((e) => (e.isDirectory() ? newer(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).mtimeMs > built));
  return !TYPE_SOURCES.some(newer);
}

/** @returns {Promise<{ esm: number, cjs: number, dts: number | undefined }>} */
export async function buildClient({ types = true } = {}) {
  fs.rmSync(OUT, { recursive: true, force: true });
  const common = /** @type {const} */ ({
    absWorkingDir: DIR,
    entryPoints: ['src/index.ts'],
    bundle: true,
    platform: 'neutral',
    target: 'es2020',
    external: ALLOWED_IMPORTS,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const esm = await esbuild.build({ ...common, format: 'esm', outfile: path.join(OUT, 'index.mjs') });
  const cjs = await esbuild.build({ ...common, format: 'cjs', outfile: path.join(OUT, 'index.cjs') });
  for (const result of [esm, cjs]) {
    for (const out of Object.values(result.metafile.outputs)) {
      const foreign = out.imports.filter((i) => !ALLOWED_IMPORTS.includes(i.path));
      if (foreign.length)
        throw new Error(`@chat/client imports ${foreign.map((i) => i.path).join(', ')}: only ${ALLOWED_IMPORTS.join(', ')} may reach the browser`);
    }
  }
  let dts;
  if (types && !typesFresh()) {
    const require = createRequire(import.meta.url);
    const { generateDtsBundle } = require('dts-bundle-generator');
    const [text] = generateDtsBundle([{ filePath: path.join(DIR, 'src/index.ts'), output: { noBanner: true, exportReferencedTypes: false } }], {
      preferredConfigPath: path.join(DIR, 'dts/tsconfig.json'),
    });
    fs.mkdirSync(TYPES_DIR, { recursive: true });
    fs.writeFileSync(TYPES_FILE, text);
    dts = Buffer.byteLength(text);
  }
  if (types) fs.copyFileSync(TYPES_FILE, path.join(OUT, 'index.d.ts'));
  const size = (f) => fs.statSync(path.join(OUT, f)).size;
  return { esm: size('index.mjs'), cjs: size('index.cjs'), dts };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  buildClient({ types: !process.argv.includes('--no-types') }).then(
    (s) =>
      process.stdout.write(
        `built @chat/client: index.mjs ${s.esm} B, index.cjs ${s.cjs} B${s.dts !== undefined ? `, index.d.ts ${s.dts} B` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      ),
    (err) => {
      process.stderr.write(`@chat/client build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
