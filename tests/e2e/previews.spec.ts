/**
 * Camera JPEGs carry a preview in their EXIF block: the grid shows it as soon as the file is
 * indexed, before (here: without) any thumbnail being made. The server runs with no
 * background thumbnail workers, so the order cannot depend on timing; the unit tests show
 * the thumbnail replacing the preview once it is made.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeJpegWithPreview } from '../helpers/exif-preview';
import { writeJpeg } from '../helpers/image-fixtures';
import { expect, startServer, stopServer, test } from './fixtures';
import { LibraryPage } from './pages/library-page';
import { WelcomePage } from './pages/welcome-page';

test('embedded previews fill the grid before any thumbnail exists', async ({ page, workDir }) => {
  const { server, child } = await startServer(workDir, [], { OCELLUS_THUMBNAIL_WORKERS: '0' });
  try {
    const photos = path.join(server.projectDir, 'card');
    for (let i = 0; i < 6; i++) {
      await writeJpegWithPreview(path.join(photos, `IMG_${i}.JPG`), {
        width: 1600,
        height: 1200,
        color: { r: 200, g: 20 * i, b: 40 },
        preview: { width: 160, height: 120, color: '#30c030' },
        orientation: i === 5 ? 6 : undefined,
      });
    }
    await writeJpeg(path.join(photos, 'plain.jpg'), { width: 400, height: 300, color: '#3050d0' });
    const welcome = new WelcomePage(page);
    const library = new LibraryPage(page);
    await welcome.goto(server.url);
    await welcome.createProject('Previews');
    await library.addFolder(photos);
    await library.expectShown(7);

    /** Size and centre colour of a tile's picture, as the page drew it. */
    const shown = (name: string) =>
      library
        .tile(name)
        .locator('img')
        .evaluate(async (img: HTMLImageElement) => {
          await img.decode();
          const c = document.createElement('canvas');
          c.width = img.naturalWidth;
          c.height = img.naturalHeight;
          const ctx = c.getContext('2d');
          ctx?.drawImage(img, 0, 0);
          const [r, g, b] = ctx?.getImageData(c.width >> 1, c.height >> 1, 1, 1).data ?? [];
          return {
            w: img.naturalWidth,
            h: img.naturalHeight,
            green: (g ?? 0) > 150 && (r ?? 0) < 100 && (b ?? 0) < 100,
          };
        });
    for (let i = 0; i < 5; i++)
      await expect.poll(() => shown(`IMG_${i}.JPG`)).toEqual({ w: 160, h: 120, green: true });
    // Turned upright by the image's EXIF orientation.
    await expect.poll(() => shown('IMG_5.JPG')).toEqual({ w: 120, h: 160, green: true });
    // A file without a preview gets its thumbnail made when shown.
    await expect.poll(async () => (await shown('plain.jpg')).w).toBe(256);

    const cache = path.join(server.projectDir, '.Previews.ocellus-cache');
    const files = (dir: string) =>
      fs.existsSync(dir)
        ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile())
        : [];
    expect(files(path.join(cache, 'previews'))).toHaveLength(6);
    expect(files(path.join(cache, 'thumbs'))).toHaveLength(1);
  } finally {
    await stopServer(child);
  }
});
