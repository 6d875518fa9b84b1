import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A resources folder whose model zoo lists one model on a local server that answers every
 * request with 503, as a download from a machine without internet fails at once. Point
 * browser mode at it with OCELLUS_RESOURCES.
 */
export async function unreachableZoo(
  dir: string,
): Promise<{ resources: string; modelName: string; close: () => Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(503).end('offline'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const resources = path.join(dir, 'resources');
  const modelName = 'Offline test network';
  fs.mkdirSync(resources, { recursive: true });
  fs.writeFileSync(
    path.join(resources, 'model-zoo.json'),
    JSON.stringify({
      version: 1,
      models: [
        {
          id: 'offline-net',
          name: modelName,
          format: 'layers',
          url: `http://127.0.0.1:${port}/offline-net/model.json`,
          sourceNote: 'A test entry',
          confirmed: true,
          preprocessing: {
            inputSize: [32, 32],
            resize: 'center-crop',
            normalization: { kind: 'range', min: 0, max: 1 },
          },
          featureOutput: 'auto',
          featureSize: 8,
          sha256: null,
          sizeBytes: 2_000_000,
          licence: 'MIT',
        },
      ],
    }),
  );
  return {
    resources,
    modelName,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
