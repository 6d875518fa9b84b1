import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { coreLayers } from '../../../eslint.layers.mjs';

const root = path.resolve(import.meta.dirname, '../../..');

// The project's own configuration, run through ESLint's Node API on code that never
// touches the disk (a component's text is linted under an existing component's name, which
// the Svelte parser's project service requires): each forbidden import must be reported by
// the rule that guards it.
describe('lint enforces the layers', () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({ cwd: root });
  });

  async function ruleIds(code: string, file: string): Promise<string[]> {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
  }

  it('refuses the core in a renderer module', async () => {
    const code =
      "import { dispatch } from '../../../main/core/service/dispatch';\nvoid dispatch;\n";
    expect(await ruleIds(code, 'src/renderer/src/lib/probe.ts')).toContain('no-restricted-imports');
  });

  it('refuses the core in a component, on top of the API-client rule', async () => {
    const code =
      '<script lang="ts">\n  import { dispatch } from \'../../../main/core/service/dispatch\';\n' +
      '  void dispatch;\n</script>\n';
    expect(await ruleIds(code, 'src/renderer/src/App.svelte')).toContain('no-restricted-imports');
  });

  it('still refuses the API client in a component', async () => {
    const code =
      '<script lang="ts">\n  import { api } from \'../lib/api/client\';\n  void api;\n</script>\n';
    expect(await ruleIds(code, 'src/renderer/src/App.svelte')).toContain('no-restricted-imports');
  });

  it('refuses a bare Node built-in in the renderer and in shared code', async () => {
    const code = "import fs from 'fs';\nvoid fs;\n";
    expect(await ruleIds(code, 'src/renderer/src/lib/probe.ts')).toContain('no-restricted-imports');
    expect(
      await ruleIds("import { join } from 'path';\nvoid join;\n", 'src/shared/probe.ts'),
    ).toContain('no-restricted-imports');
  });

  it('refuses an upward import inside the core', async () => {
    const code = "import { runLabelState } from '../train/run-labels';\nvoid runLabelState;\n";
    expect(await ruleIds(code, 'src/main/core/library/probe.ts')).toContain(
      'import-x/no-restricted-paths',
    );
  });

  it('refuses an import between rooms of one row', async () => {
    const code = "import { JobRegistry } from '../jobs/job-registry';\nvoid JobRegistry;\n";
    expect(await ruleIds(code, 'src/main/core/store/probe.ts')).toContain(
      'import-x/no-restricted-paths',
    );
  });

  it('refuses an import cycle', async () => {
    // run-labels imports run-store, so run-store importing run-labels closes a loop.
    const code = "import { runLabelState } from './run-labels';\nvoid runLabelState;\n";
    const ids = await ruleIds(code, 'src/main/core/train/run-store.ts');
    expect(ids).toContain('import-x/no-cycle');
  });

  it('lets a downward import and a renderer import of shared code pass', async () => {
    const down = "import { seededRandom } from '../util/rng';\nvoid seededRandom;\n";
    expect(await ruleIds(down, 'src/main/core/train/probe.ts')).toEqual([]);
    const shared =
      "import type { ImageStatus } from '../../../shared/types';\nexport type T = ImageStatus;\n";
    expect(await ruleIds(shared, 'src/renderer/src/lib/probe.ts')).toEqual([]);
  });

  it('has every folder of the core in the table, and no file outside a room', () => {
    const entries = fs.readdirSync(path.join(root, 'src/main/core'), { withFileTypes: true });
    const rooms = coreLayers.flat();
    expect(entries.filter((e) => !e.isDirectory()).map((e) => e.name)).toEqual([]);
    expect(entries.map((e) => e.name).sort()).toEqual([...rooms].sort());
  });
});
