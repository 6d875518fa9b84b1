import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { externalLink, linksShownByTheApp } from '../../../../src/main/shell/external-links';

const RESOURCES = path.resolve('resources');

describe('links the desktop app may open in the browser', () => {
  const shown = linksShownByTheApp(RESOURCES);

  it('are the https addresses the app shows: the model zoo sources', () => {
    expect(shown.size).toBeGreaterThan(0);
    for (const link of shown) expect(link.startsWith('https://')).toBe(true);
    const first = [...shown][0] as string;
    expect(externalLink(first, shown)?.href).toBe(new URL(first).href);
  });

  it('never anything else: other sites, http, file, javascript, credentials, junk', () => {
    const first = new URL([...shown][0] as string);
    for (const raw of [
      'https://evil.example/',
      `http://${first.host}${first.pathname}${first.search}`,
      'file:///etc/passwd',
      'javascript:alert(1)',
      `https://user:secret@${first.host}${first.pathname}${first.search}`,
      'not a url',
      '',
    ]) {
      expect(externalLink(raw, shown), raw).toBeNull();
    }
  });

  it('opens nothing when the zoo cannot be read', () => {
    expect(linksShownByTheApp(path.resolve('no-such-folder')).size).toBe(0);
  });
});
