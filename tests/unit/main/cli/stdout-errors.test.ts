import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWithFailingStdout } from '../../../helpers/stdout-failures';

const BIN = path.resolve(__dirname, '../../../../bin/ocellus.cjs');

// The built CLI (npm test builds before the unit tests), as a user runs it.
describe.runIf(fs.existsSync(path.resolve(__dirname, '../../../../out/main/cli.js')))(
  'ocellus with a failing standard output',
  () => {
    it('ends quietly with success when the reader has gone (| head)', async () => {
      const r = await runWithFailingStdout([BIN, '--help'], 'closed');
      expect(r.stderr).not.toMatch(/Unhandled|EPIPE|\n\s+at /);
      expect(r.code).toBe(0);
    });

    it('says in one line that it cannot write, with exit code 1, on a full disk', async () => {
      const r = await runWithFailingStdout([BIN, '--help'], 'full');
      expect(r.stderr).toBe(
        'ocellus: cannot write the output: ENOSPC: no space left on device, write\n',
      );
      expect(r.code).toBe(1);
    });
  },
);
