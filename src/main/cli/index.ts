/** The `ocellus` command-line entry: direct calls into the same service as the app. */
import { runCli } from './run-cli';
import { exitOnStdoutError } from '../core/util/stdout-errors';

exitOnStdoutError('ocellus');

runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ocellus: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
