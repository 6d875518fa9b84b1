/**
 * Ends the process cleanly when standard output fails. The reader going away (EPIPE: piped into
 * `head`, a closed pager) is how such a command is often used, so it ends quietly with success;
 * anything else (a full disk) is one line on stderr and exit code 1, instead of Node's stack
 * trace for an unhandled 'error' event.
 */
export function exitOnStdoutError(name: string): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`${name}: cannot write the output: ${err.message}\n`);
    process.exit(1);
  });
}
