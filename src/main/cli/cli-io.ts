/** Where a CLI command writes; tests pass their own to capture the output. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}
