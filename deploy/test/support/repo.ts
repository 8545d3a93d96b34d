import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';

export const ROOT = path.resolve(__dirname, '../../..');
export const DEPLOY = path.join(ROOT, 'deploy');

export function repoPath(...parts: string[]): string {
  return path.join(ROOT, ...parts);
}

export function exists(p: string): boolean {
  return fs.existsSync(p);
}

export function readText(p: string): string {
  return fs.readFileSync(p, 'utf8');
}

/** Every YAML document of a file (empty documents dropped). */
export function loadYamlDocs(p: string): unknown[] {
  return yaml.loadAll(readText(p)).filter((d) => d !== null && d !== undefined);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  missing: boolean;
}

/** Runs a binary; `missing` is true when it is not installed (ENOENT). */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
        resolve({
          code: e ? (typeof e.code === 'number' ? e.code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
          missing: e?.code === 'ENOENT',
        });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The paths the nodes serve for probes (see the services' mains). */
export const PROBE_PATHS = { live: '/healthz', ready: '/readyz' } as const;

/** Image-level variables that are not part of the app config: start.sh reads SERVICE. */
export const IMAGE_ENV = ['SERVICE', 'NODE_ENV'] as const;
