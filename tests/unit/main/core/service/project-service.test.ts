import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultProjectDir } from '../../../../../src/main/core/app/app-paths';
import { createOcellusService } from '../../../../../src/main/core/service';
import { makeTmpDir } from '../../../../helpers/tmp-dir';

describe('new projects on a fresh machine', () => {
  const tmp = makeTmpDir();
  afterAll(() => tmp.cleanup());

  it('suggests ~/Documents even before it exists, and makes it for the first project', async () => {
    const home = path.join(tmp.dir, 'home');
    fs.mkdirSync(home, { recursive: true });
    const suggested = defaultProjectDir(home);
    expect(suggested).toBe(path.join(home, 'Documents'));
    expect(fs.existsSync(suggested)).toBe(false);

    const service = createOcellusService({
      host: 'web',
      appVersion: '0.0.0-test',
      appDataDir: path.join(tmp.dir, 'appdata'),
      defaultProjectDir: suggested,
      watch: false,
    });
    try {
      const info = await service.api.app.info();
      const created = await service.api.project.create({
        path: path.join(info.defaultProjectDir, 'Birds.ocellus'),
      });
      expect(created.name).toBe('Birds');
      expect(fs.existsSync(path.join(suggested, 'Birds.ocellus'))).toBe(true);
      // Any other missing folder is still refused: a typo must not make folders.
      await expect(
        service.api.project.create({ path: path.join(home, 'Docs', 'Typo.ocellus') }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND', message: /does not exist/ });
      expect(fs.existsSync(path.join(home, 'Docs'))).toBe(false);
    } finally {
      await service.dispose();
    }
  });

  it('suggests an existing ~/Documents as it is', () => {
    const home = path.join(tmp.dir, 'home2');
    fs.mkdirSync(path.join(home, 'Documents'), { recursive: true });
    expect(defaultProjectDir(home)).toBe(path.join(home, 'Documents'));
  });
});
