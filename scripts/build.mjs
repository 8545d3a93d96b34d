#!/usr/bin/env node
// @ts-check
/**
 * pnpm build [--outdir DIR]: one esbuild bundle per service, so production
 * runs plain JavaScript (no tsx, no TypeScript sources, no devDependencies).
 *
 *   dist/<service>/main.js (+ .map)   api, socket, standalone
 *   dist/<service>/lua/*.lua          the Redis scripts, read through __dirname at run time
 *   dist/node_modules/<name>          links to the installed RUNTIME_EXTERNALS, so the bundles find them here too
 *   dist/web/                         the web client (services/web/build.mjs), which the API nodes serve at `/`
 *   dist/build.json                   what was built, and the packages the bundles load from node_modules
 *
 * It also builds @chat/client's own dist (packages/client/build.mjs: ESM, CJS
 * and declarations, what `pnpm pack` ships), whatever the --outdir.
 *
 * The workspace's code and its dependencies go into the bundles; only the
 * modules in RUNTIME_EXTERNALS are loaded from node_modules at run time. The
 * container image installs exactly those (deploy/docker/package.json, the
 * @chat/image project) in /app/node_modules beside /app/dist; here the same
 * project's installed copies are linked into dist/node_modules (pnpm keeps
 * them out of the root node_modules, where a bundle in dist/ would look).
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { buildClient } from '../packages/client/build.mjs';
import { buildWeb } from '../services/web/build.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Entry point per service; the bundle is dist/<service>/main.js. */
const SERVICES = {
  api: 'services/api/src/main.ts',
  socket: 'services/socket/src/main.ts',
  standalone: 'services/standalone/src/main.ts',
};

/** Native addons (better-sqlite3) and ws's optional native helpers: loaded from node_modules at run time. */
const RUNTIME_EXTERNALS = ['better-sqlite3', 'bufferutil', 'utf-8-validate'];

/** knex's other dialect drivers: required only by dialects this product never configures, so never loaded. */
const NEVER_LOADED = ['pg', 'pg-query-stream', 'oracledb', 'tedious', 'mysql', 'sqlite3', 'mariadb', 'mariadb/callback'];

/**
 * Lua scripts that packages/presence and packages/fanout read with
 * `path.join(__dirname, 'lua', file)`. In a bundle __dirname is the bundle's
 * folder, so every service gets one lua/ folder holding all of them.
 */
const LUA_DIRS = ['packages/presence/src/lua', 'packages/fanout/src/lua'];

/** The workspace project whose dependencies are the bundles' run-time packages (the image installs it). */
const IMAGE_PROJECT = 'deploy/docker';

/**
 * Links dist/node_modules/<name> to @chat/image's installed copy of each run-time
 * package, and checks that the project declares every one the bundles import.
 */
function linkRuntimePackages(outdir, loaded) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, IMAGE_PROJECT, 'package.json'), 'utf8'));
  const declared = Object.keys(manifest.dependencies ?? {});
  const missing = [...loaded].filter((p) => RUNTIME_EXTERNALS.includes(p) && !declared.includes(p));
  if (missing.length) throw new Error(`${IMAGE_PROJECT}/package.json must list ${missing.join(', ')}: the bundles load them at run time`);
  const dir = path.join(outdir, 'node_modules');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const name of declared) {
    let target;
    try {
      target = fs.realpathSync(path.join(ROOT, IMAGE_PROJECT, 'node_modules', name));
    } catch {
      throw new Error(`${name} is not installed in ${IMAGE_PROJECT}/node_modules: run \`pnpm install\``);
    }
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.symlinkSync(target, path.join(dir, name), 'dir');
  }
}

function parseArgs(argv) {
  let outdir = path.join(ROOT, 'dist');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--outdir' && argv[i + 1]) outdir = path.resolve(argv[++i]);
    else throw new Error(`usage: node scripts/build.mjs [--outdir DIR] (got ${argv[i]})`);
  }
  return { outdir };
}

/** Every lua file, by name; two folders with one name would overwrite each other in lua/. */
function luaFiles() {
  const byName = new Map();
  for (const dir of LUA_DIRS) {
    for (const name of fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.lua'))) {
      if (byName.has(name)) throw new Error(`lua script ${name} is in both ${byName.get(name)} and ${dir}: rename one (bundles share one lua/ folder)`);
      byName.set(name, dir);
    }
  }
  return byName;
}

async function main() {
  const started = Date.now();
  const { outdir } = parseArgs(process.argv.slice(2));
  const lua = luaFiles();
  for (const service of Object.keys(SERVICES)) fs.rmSync(path.join(outdir, service), { recursive: true, force: true });

  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: Object.fromEntries(Object.entries(SERVICES).map(([service, entry]) => [`${service}/main`, entry])),
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    // CommonJS keeps __dirname (the lua loaders) and the libraries' lazy require()s working as they do under tsx.
    format: 'cjs',
    sourcemap: 'linked',
    // Bundling renames clashing top-level names; keep Function.name / class names as written.
    keepNames: true,
    external: [...RUNTIME_EXTERNALS, ...NEVER_LOADED],
    metafile: true,
    logLevel: 'warning',
  });

  const builtins = new Set(builtinModules);
  const isBuiltin = (p) => p.startsWith('node:') || builtins.has(p) || builtins.has(p.split('/')[0]);
  const services = {};
  const loaded = new Set();
  for (const [service] of Object.entries(SERVICES)) {
    const file = path.join(outdir, service, 'main.js');
    const out = result.metafile.outputs[path.relative(ROOT, file)];
    if (!out) throw new Error(`esbuild wrote no ${file}`);
    for (const imp of out.imports) if (imp.external && !isBuiltin(imp.path)) loaded.add(imp.path);
    const luaDir = path.join(outdir, service, 'lua');
    fs.mkdirSync(luaDir, { recursive: true });
    for (const [name, dir] of lua) fs.copyFileSync(path.join(ROOT, dir, name), path.join(luaDir, name));
    services[service] = { main: `${service}/main.js`, source: SERVICES[service], bytes: out.bytes };
  }
  const unexpected = [...loaded].filter((p) => !RUNTIME_EXTERNALS.includes(p) && !NEVER_LOADED.includes(p));
  if (unexpected.length) throw new Error(`bundles import unlisted externals: ${unexpected.join(', ')}`);
  linkRuntimePackages(outdir, loaded);

  const [client, web] = await Promise.all([buildClient(), buildWeb(path.join(outdir, 'web'))]);

  const manifest = {
    services,
    web: web.files,
    lua: [...lua.keys()].sort(),
    runtimeExternals: RUNTIME_EXTERNALS.filter((p) => loaded.has(p)),
    neverLoaded: NEVER_LOADED.filter((p) => loaded.has(p)),
  };
  fs.writeFileSync(path.join(outdir, 'build.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const sizes = Object.entries(services).map(([s, o]) => `${s} ${(o.bytes / 1048576).toFixed(1)} MB`);
  const app = web.files['app.js'];
  sizes.push(
    `web ${(app.bytes / 1024).toFixed(0)} KB (${(app.gzipBytes / 1024).toFixed(0)} KB gzipped)`,
    `@chat/client ${(client.esm / 1024).toFixed(0)} KB ESM`,
  );
  process.stdout.write(`built ${sizes.join(', ')} into ${path.relative(process.cwd(), outdir) || '.'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

main().catch((err) => {
  process.stderr.write(`build failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
