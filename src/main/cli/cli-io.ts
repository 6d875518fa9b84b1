import { OcellusError } from '../../shared/errors';
/** Where a CLI command writes; tests pass their own to capture the output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** A command line the command cannot use (a missing or extra argument): exit 2, as an unknown option. */
export function usageError(message: string): OcellusError {
  return new OcellusError('INVALID_ARGUMENT', message, { usage: true });
}
