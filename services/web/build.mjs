#!/usr/bin/env node
// @ts-check
/**
 * Builds the web client into <outdir> (dist/web from scripts/build.mjs):
 *
 *   index.html    the page (copied)
 *   app.js        app/main.ts and everything it imports (@chat/client, socket.io-client), minified ESM for browsers
 *   styles.css    app/styles.css, minified
 *
 * The API nodes (and the embedded server) serve that folder at `/`.
 * No inline script or style: the page works under helmet's default CSP.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const DIR = path.dirname(fileURLToPath(import.meta.url));

/** Node-only modules that must never reach the page (socket.io-client's Node transport among them). */
const NODE_ONLY = /^(node:|ws$|ws\/|xmlhttprequest-ssl)/;

/** @returns {Promise<{ files: Record<string, { bytes: number, gzipBytes: number }> }>} */
export async function buildWeb(outdir) {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: DIR,
    entryPoints: { app: 'app/main.ts' },
    outdir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const leaked = inputs.filter((p) => NODE_ONLY.test(p.replace(/^.*node_modules\//, '')) || /node_modules\/ws\//.test(p));
  if (leaked.length) throw new Error(`the web bundle pulls in Node-only modules: ${leaked.join(', ')}`);
  const css = await esbuild.transform(fs.readFileSync(path.join(DIR, 'app/styles.css'), 'utf8'), { loader: 'css', minify: true });
  fs.writeFileSync(path.join(outdir, 'styles.css'), css.code);
  fs.copyFileSync(path.join(DIR, 'app/index.html'), path.join(outdir, 'index.html'));
  /** @type {Record<string, { bytes: number, gzipBytes: number }>} */
  const files = {};
  for (const name of ['index.html', 'app.js', 'styles.css']) {
    const data = fs.readFileSync(path.join(outdir, name));
    files[name] = { bytes: data.length, gzipBytes: zlib.gzipSync(data, { level: 9 }).length };
  }
  return { files };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = path.resolve(process.argv[2] ?? path.join(DIR, '../../dist/web'));
  buildWeb(outdir).then(
    ({ files }) =>
      process.stdout.write(
        `built web: ${Object.entries(files)
          .map(([n, f]) => `${n} ${f.bytes} B (${f.gzipBytes} gzipped)`)
          .join(', ')}\n`,
      ),
    (err) => {
      process.stderr.write(`web build failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
