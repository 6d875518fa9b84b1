import fs from 'node:fs';
import path from 'node:path';

/** True when `child` is `parent` itself or lies below it (both already resolved). */
export function isPathInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a URL-style path to a real file strictly inside `rootDir`, or null. Decoding
 * errors, `..`, NUL bytes and symlinks that lead outside the root all give null.
 */
export function resolveInside(rootDir: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const segments = decoded.split(/[\\/]+/).filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  return realFileInside(rootDir, path.join(rootDir, ...segments));
}

/** The real path of `file` when it is a regular file inside the real `rootDir`, else null. */
export function realFileInside(rootDir: string, file: string): string | null {
  try {
    const realRoot = fs.realpathSync(rootDir);
    const realFile = fs.realpathSync(file);
    if (realFile === realRoot || !isPathInside(realRoot, realFile)) return null;
    return fs.statSync(realFile).isFile() ? realFile : null;
  } catch {
    return null;
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.jpe': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.bmp': 'image/bmp',
  '.heic': 'image/heic',
  '.heif': 'image/heif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Content type for a file name, by extension. */
export function mimeType(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
