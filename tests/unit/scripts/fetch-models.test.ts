import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from 'vite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { OcellusError } from '../../../src/shared/errors';
import { ModelStore } from '../../../src/main/core/ml/model-store';
import type { ZooModel } from '../../../src/main/core/ml/zoo-types';
import { fetchModels, parseArgs, type ModelLock } from '../../../scripts/fetch-models';
import { startStaticServer, type StaticServer } from '../../helpers/static-server';
import { writeTinyCnn } from '../../helpers/tiny-models';
import { makeTmpDir } from '../../helpers/tmp-dir';

const root = path.resolve(__dirname, '../../..');
const FILES = ['model.json', 'group1-shard1of1.bin'];

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

async function rejection(promise: Promise<unknown>): Promise<OcellusError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OcellusError);
  return err as OcellusError;
}

describe('npm run fetch-models', () => {
  const tmp = makeTmpDir('ocellus-fetch-models-');
  const srv = path.join(tmp.dir, 'srv');
  const served = path.join(srv, 'tiny');
  let server: StaticServer;
  let resources: string;
  let out: string;
  let lockFile: string;

  const entry = (over: Partial<ZooModel> = {}): ZooModel => ({
    id: 'tiny-cnn',
    name: 'Tiny CNN',
    format: 'layers',
    url: server.url('/tiny/model.json'),
    sourceNote: 'made by the test',
    confirmed: true,
    preprocessing: {
      inputSize: [32, 32],
      resize: 'squash',
      normalization: { kind: 'range', min: 0, max: 1 },
    },
    featureOutput: 'features',
    featureSize: 8,
    sha256: null,
    sizeBytes: null,
    licence: 'MIT',
    ...over,
  });
  const writeZoo = (models: ZooModel[]) =>
    fs.writeFileSync(
      path.join(resources, 'model-zoo.json'),
      JSON.stringify({ version: 1, models }),
    );
  const readLock = () => JSON.parse(fs.readFileSync(lockFile, 'utf8')) as ModelLock;
  const fetch = (ids: string[]) => fetchModels({ resourcesDir: resources, ids, log: () => {} });

  beforeAll(async () => {
    await writeTinyCnn(served);
    server = await startStaticServer(srv);
  });
  afterAll(async () => {
    await server.close();
    tmp.cleanup();
  });
  beforeEach(() => {
    resources = fs.mkdtempSync(path.join(tmp.dir, 'resources-'));
    out = path.join(resources, 'models');
    lockFile = path.join(resources, 'models.lock.json');
    writeZoo([entry(), entry({ id: 'other', url: server.url('/other/model.json') })]);
    server.requests.length = 0;
  });

  it('downloads an unpinned model, records its sha256s, and verifies against them next time', async () => {
    const [first] = await fetch(['tiny-cnn']);
    expect(first).toMatchObject({ id: 'tiny-cnn', action: 'downloaded', pinnedBy: 'recorded' });
    for (const f of FILES) {
      expect(
        fs
          .readFileSync(path.join(out, 'tiny-cnn', f))
          .equals(fs.readFileSync(path.join(served, f))),
      ).toBe(true);
    }
    expect(fs.existsSync(path.join(out, '.incoming'))).toBe(false);
    const pinned = readLock().models['tiny-cnn'];
    expect(pinned?.url).toBe(server.url('/tiny/model.json'));
    expect(pinned?.sha256).toEqual({
      modelJson: sha256(path.join(served, 'model.json')),
      shards: { [FILES[1]!]: sha256(path.join(served, FILES[1]!)) },
    });

    const before = server.requests.length;
    const [second] = await fetch(['tiny-cnn']);
    expect(second).toMatchObject({ action: 'verified', pinnedBy: 'lock' });
    expect(server.requests.length).toBe(before);

    // A bundled copy tampered with after the fetch is noticed and fetched again.
    fs.appendFileSync(path.join(out, 'tiny-cnn', FILES[1]!), 'x');
    const [third] = await fetch(['tiny-cnn']);
    expect(third).toMatchObject({ action: 'replaced', pinnedBy: 'lock' });
    expect(sha256(path.join(out, 'tiny-cnn', FILES[1]!))).toBe(pinned?.sha256.shards[FILES[1]!]);
  });

  it('refuses a server copy that changed since it was pinned, installing nothing', async () => {
    await fetch(['tiny-cnn']);
    const lock = fs.readFileSync(lockFile, 'utf8');
    fs.rmSync(path.join(out, 'tiny-cnn'), { recursive: true });
    const shard = path.join(served, FILES[1]!);
    const original = fs.readFileSync(shard);
    fs.writeFileSync(shard, Buffer.concat([original.subarray(1), original.subarray(0, 1)]));
    try {
      const err = await rejection(fetch(['tiny-cnn']));
      expect(err.code).toBe('IO_ERROR');
      expect(err.message).toMatch(/failed verification: sha256 expected/);
    } finally {
      fs.writeFileSync(shard, original);
    }
    expect(fs.existsSync(path.join(out, 'tiny-cnn'))).toBe(false);
    // Bad content is not kept to resume from (a transport failure would be).
    expect(fs.existsSync(path.join(out, '.incoming', 'tiny-cnn'))).toBe(false);
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(lock);
  });

  it("verifies against the zoo's published sha256 when it has one", async () => {
    const good = {
      modelJson: sha256(path.join(served, 'model.json')),
      shards: { [FILES[1]!]: sha256(path.join(served, FILES[1]!)) },
    };
    writeZoo([entry({ sha256: { ...good, shards: { [FILES[1]!]: '0'.repeat(64) } } })]);
    expect((await rejection(fetch(['tiny-cnn']))).message).toMatch(
      /group1-shard1of1\.bin of model tiny-cnn failed/,
    );
    writeZoo([entry({ sha256: good })]);
    const [result] = await fetch(['tiny-cnn']);
    expect(result).toMatchObject({ action: 'downloaded', pinnedBy: 'zoo' });
  });

  it('puts models where the app finds them first: bundled before its cache', async () => {
    await fetch([]); // no ids: the zoo's first entry, the default base for training
    const cache = path.join(resources, 'app-data-models');
    const store = new ModelStore({ cacheDir: cache, bundledDirs: [out] });
    const found = store.find('tiny-cnn');
    expect(found?.source).toBe('bundled');
    expect(found?.dir).toBe(path.join(out, 'tiny-cnn'));
    const requests = server.requests.length;
    // A "download" of a bundled model makes no request.
    await store.download(entry());
    expect(server.requests.length).toBe(requests);
  });

  it('names unknown ids and a lock that pins another address', async () => {
    const unknown = await rejection(fetch(['nope']));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('tiny-cnn, other');
    await fetch(['tiny-cnn']);
    writeZoo([entry({ url: server.url('/moved/model.json') })]);
    const moved = await rejection(fetch(['tiny-cnn']));
    expect(moved.code).toBe('INVALID_ARGUMENT');
    expect(moved.message).toMatch(/remove its entry from the lock file/);
  });

  it('parses its command line', () => {
    expect(parseArgs(['--out', 'x', 'a', 'b'], '/res')).toEqual({
      resourcesDir: '/res',
      outDir: path.resolve('x'),
      ids: ['a', 'b'],
    });
    expect(() => parseArgs(['--lock'], '/res')).toThrow(/--lock needs a value/);
    expect(() => parseArgs(['--bogus'], '/res')).toThrow(/Unknown option --bogus/);
  });

  it('runs as the built script, as `npm run fetch-models` does', async () => {
    await build({ configFile: path.join(root, 'vite.scripts.config.mts'), root, logLevel: 'warn' });
    const { stdout } = await promisify(execFile)(process.execPath, [
      path.join(root, 'out/scripts/fetch-models.js'),
      '--resources',
      resources,
      'tiny-cnn',
    ]);
    expect(stdout).toMatch(/tiny-cnn: downloaded \(\d+ bytes\)/);
    expect(readLock().models['tiny-cnn']?.sha256.modelJson).toBe(
      sha256(path.join(served, 'model.json')),
    );
    const failed = await promisify(execFile)(process.execPath, [
      path.join(root, 'out/scripts/fetch-models.js'),
      '--resources',
      resources,
      'nope',
    ]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^fetch-models: No model "nope" in the zoo/);
  });
});
