/**
 * `pnpm loadtest ...`: parses flags, runs the load, prints the table, writes
 * the JSON and HTML reports. Exit 0 when the run was executed (whatever it
 * found), 2 for bad flags, 1 when the run could not be executed.
 */
import { parseCliArgs, USAGE } from './args';
import { LoadTestError } from './errors';
import { formatProgress } from './progress';
import { renderTable } from './report/table';
import { runLoad } from './run';

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stderr.isTTY;
  try {
    const report = await runLoad({
      ...cli.load,
      signal: abort.signal,
      ...(cli.quiet ? {} : { onProgress: (p) => process.stderr.write(tty ? `\r\x1b[2K${formatProgress(p)}` : `${formatProgress(p)}\n`) }),
    });
    if (tty && !cli.quiet) process.stderr.write('\n');
    process.stdout.write(renderTable(report));
    return 0;
  } catch (err) {
    if (tty && !cli.quiet) process.stderr.write('\n');
    if (err instanceof LoadTestError) {
      process.stderr.write(`loadtest: ${err.code}: ${err.message}\n`);
      return err.code === 'bad_options' ? 2 : 1;
    }
    process.stderr.write(`loadtest: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

void main().then((code) => {
  process.exitCode = code;
});
