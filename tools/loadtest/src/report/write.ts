import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderHtml } from './html';
import type { LoadReport } from './types';

/** Writes `<dir>/loadtest-<runId>.json` and `.html`; returns their absolute paths. */
export async function writeReportFiles(report: LoadReport, dir: string): Promise<{ json: string; html: string }> {
  const abs = resolve(dir);
  await mkdir(abs, { recursive: true });
  const json = join(abs, `loadtest-${report.runId}.json`);
  const html = join(abs, `loadtest-${report.runId}.html`);
  const files = { json, html };
  await writeFile(json, JSON.stringify({ ...report, files }, null, 2) + '\n');
  await writeFile(html, renderHtml(report));
  return files;
}
