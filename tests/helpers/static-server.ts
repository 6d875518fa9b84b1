import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** A file server on 127.0.0.1 for tests that download (the app never reaches the internet here). */
export interface StaticServer {
  url: (p: string) => string;
  /** Paths requested, in order. */
  requests: string[];
  close: () => Promise<void>;
}

/** Serves the files under `root` (200 with Content-Length, 404 for anything else). */
export async function startStaticServer(root: string): Promise<StaticServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    requests.push(urlPath);
    const file = path.join(root, urlPath);
    if (
      !file.startsWith(root + path.sep) ||
      !fs.statSync(file, { throwIfNoEntry: false })?.isFile()
    ) {
      res.writeHead(404).end();
      return;
    }
    const data = fs.readFileSync(file);
    res.writeHead(200, { 'content-length': data.length }).end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
