import fs from 'node:fs';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import { writeFileAtomic } from '../util/fs-atomic';
import {
  META_FILE,
  MODEL_JSON,
  ONNX_MODEL,
  assertSafeId,
  checkShards,
  fileSize,
  hashModel,
  isSafeId,
  readMeta,
  readModelJson,
  sameHashes,
  sha256File,
  sha256FileSync,
  type ModelHashes,
  type ModelMeta,
} from './model-files';
import { downloadModelFiles, type DownloadProgress } from './model-download';
import { checkModelTar, extractModelTar, writeModelTar } from './model-tar';
import { readOnnxDeclaration } from './onnx-base';
import { isSavedModelFolder } from './saved-model-files';
import type { SavedModelChoice } from '../../../shared/types';
import { copyModelFolder } from './model-import';
import type { StoredModel } from './stored-model';
import type { ZooModel } from './zoo-types';

export type { ModelFiles, StoredModel } from './stored-model';

export type { DownloadProgress } from './model-download';

const INCOMING = '.incoming';

/** The offline model library: bundled folders (read-only) and a cache of downloads and imports. */
export class ModelStore {
  private readonly cacheDir: string;
  private readonly bundledDirs: string[];
  private readonly downloading = new Set<string>();
  // Bundled folders may lack ocellus-model.json; hashing them on every list() would be wasteful.
  private readonly bundledHashes = new Map<string, { stamp: string; hashes: ModelHashes }>();

  constructor(options: { cacheDir: string; bundledDirs?: string[] }) {
    this.cacheDir = path.resolve(options.cacheDir);
    this.bundledDirs = (options.bundledDirs ?? []).map((d) => path.resolve(d));
  }

  /** Every model available offline: bundled dirs first, then the cache (downloads and imports). */
  list(): StoredModel[] {
    const bundled = this.bundled();
    // A cached copy shadowed by a bundled one is unreachable through find(), so it is not listed.
    const names = fs.existsSync(this.cacheDir) ? fs.readdirSync(this.cacheDir).sort() : [];
    const cached = names
      .filter((name) => !name.startsWith('.') && !bundled.some((m) => m.id === name))
      .map((name) => this.readCached(name))
      .filter((m): m is StoredModel => m !== null);
    return [...bundled, ...cached];
  }

  /** The offline copy of a model id (bundled first, then cache), or null. */
  find(id: string): StoredModel | null {
    if (!isSafeId(id)) return null;
    return this.bundled().find((m) => m.id === id) ?? this.readCached(id);
  }

  /** Downloads a zoo model into the cache (resumable, verified, cancellable); a cache hit makes no request. */
  async download(
    zoo: ZooModel,
    options: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void } = {},
  ): Promise<StoredModel> {
    assertSafeId(zoo.id);
    const hit = this.find(zoo.id);
    if (hit) return hit;
    if (zoo.userSupplied) {
      throw new OcellusError(
        'UNSUPPORTED',
        `${zoo.name} is not downloaded by Ocellus (${zoo.userSupplied}): import your own copy as a folder with model.onnx and ocellus-base.json`,
      );
    }
    if (this.downloading.has(zoo.id)) {
      throw new OcellusError('ALREADY_EXISTS', `${zoo.id} is already being downloaded`);
    }
    this.downloading.add(zoo.id);
    try {
      // One stable folder per id, so an interrupted or cancelled download resumes where it stopped.
      const incoming = path.join(this.cacheDir, INCOMING, zoo.id);
      const meta = await downloadModelFiles(zoo, incoming, options.signal, options.onProgress);
      return this.install(incoming, meta);
    } finally {
      this.downloading.delete(zoo.id);
    }
  }

  /**
   * Imports a model folder (model.json + shards, validated; or a TensorFlow SavedModel, checked
   * on the native backend) into the cache; same content, same model.
   */
  async importFolder(
    dir: string,
    options: { id?: string; name?: string; savedModel?: SavedModelChoice } = {},
  ): Promise<StoredModel> {
    const src = path.resolve(dir);
    if (options.id !== undefined) assertSafeId(options.id);
    if (!fs.existsSync(path.join(src, MODEL_JSON)) && fs.existsSync(path.join(src, ONNX_MODEL))) {
      return this.importOnnxFolder(src, options);
    }
    const savedModel = isSavedModelFolder(src);
    // Validate and hash the copies, not the originals, so what is recorded is what is stored.
    const staging = this.staging();
    try {
      if (savedModel) {
        // Loaded on demand: it starts TF.js, which listing or copying models never needs.
        const { stageSavedModel } = await import('./saved-model');
        await stageSavedModel(src, staging, options.savedModel);
      } else {
        await copyModelFolder(src, staging);
      }
      const copied = readModelJson(staging);
      const sizeBytes = fileSize(path.join(staging, MODEL_JSON)) + checkShards(staging, copied);
      const sha256 = await hashModel(staging, copied);
      const id = options.id ?? `imported-${sha256.modelJson.slice(0, 12)}`;
      const existing = this.sameOrConflict(id, sha256);
      if (existing) return existing;
      const name = options.name ?? path.basename(src);
      const meta: ModelMeta = {
        version: 1,
        id,
        name,
        format: copied.format,
        source: 'imported',
        zooId: null,
        sha256,
        sizeBytes,
      };
      return this.install(staging, meta);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /**
   * Imports an ONNX base: a folder with model.onnx and ocellus-base.json declaring its input,
   * embedding output, layout and preprocessing (checked against the model by ONNX Runtime).
   */
  private async importOnnxFolder(
    src: string,
    options: { id?: string; name?: string },
  ): Promise<StoredModel> {
    // Read once, safely: the bytes checked by ONNX Runtime are the bytes installed.
    const { declaration, model } = await readOnnxDeclaration(src);
    const staging = this.staging();
    try {
      fs.writeFileSync(path.join(staging, ONNX_MODEL), model);
      const sha256 = { modelJson: await sha256File(path.join(staging, ONNX_MODEL)), shards: {} };
      const id = options.id ?? `imported-${sha256.modelJson.slice(0, 12)}`;
      const existing = this.sameOrConflict(id, sha256);
      if (existing) return existing;
      return this.install(staging, {
        version: 1,
        id,
        name: options.name ?? path.basename(src),
        format: 'onnx',
        source: 'imported',
        zooId: null,
        sha256,
        sizeBytes: fileSize(path.join(staging, ONNX_MODEL)),
        onnx: declaration,
      });
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Writes one model as a portable tar file (model.json, shards, ocellus-model.json). */
  async exportToFile(id: string, file: string): Promise<void> {
    const model = this.find(id);
    if (!model) throw new OcellusError('NOT_FOUND', `No model "${id}" is available offline`);
    if (model.format === 'onnx') {
      throw new OcellusError(
        'UNSUPPORTED',
        `${id} is an ONNX model: copy its folder (${model.dir}) instead; it imports as it is`,
      );
    }
    const staging = this.staging();
    try {
      await writeModelTar(model, file, staging);
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  /** Imports a file written by exportToFile, verifying its recorded sha256s. */
  async importFile(file: string): Promise<StoredModel> {
    const src = path.resolve(file);
    await checkModelTar(src);
    const staging = this.staging();
    try {
      const { meta, sha256, sizeBytes } = await extractModelTar(src, staging);
      const existing = this.sameOrConflict(meta.id, sha256);
      if (existing) return existing;
      return this.install(staging, { ...meta, source: 'imported', sha256, sizeBytes });
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
  }

  private staging(): string {
    const base = path.join(this.cacheDir, INCOMING);
    fs.mkdirSync(base, { recursive: true });
    // A leading dot keeps staging folders apart from download folders, which are named by id.
    return fs.mkdtempSync(path.join(base, '.staging-'));
  }

  /** The existing model with this id when it holds the same bytes; ALREADY_EXISTS when it differs. */
  private sameOrConflict(id: string, sha256: ModelHashes): StoredModel | null {
    const existing = this.find(id);
    if (!existing) return null;
    if (sameHashes(existing.sha256, sha256)) return existing;
    throw new OcellusError(
      'ALREADY_EXISTS',
      `A different model with id "${id}" is already stored`,
      {
        id,
      },
    );
  }

  /** Writes the metadata last and renames the folder into place, so a model appears whole or not at all. */
  private install(staging: string, meta: ModelMeta): StoredModel {
    writeFileAtomic(path.join(staging, META_FILE), JSON.stringify(meta, null, 2));
    const target = path.join(this.cacheDir, meta.id);
    // find() said no model has this id, so whatever is there is debris of a crashed install.
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
    const stored = this.readCached(meta.id);
    if (!stored)
      throw new OcellusError('IO_ERROR', `Could not store model ${meta.id} in ${target}`);
    return stored;
  }

  private readCached(id: string): StoredModel | null {
    const dir = path.join(this.cacheDir, id);
    const meta = readMeta(path.join(dir, META_FILE));
    const main = meta?.format === 'onnx' ? ONNX_MODEL : MODEL_JSON;
    if (!meta || meta.id !== id || !fs.existsSync(path.join(dir, main))) return null;
    return this.toStored(dir, meta, meta.source ?? 'cache');
  }

  private toStored(dir: string, meta: ModelMeta, source: StoredModel['source']): StoredModel {
    const { id, name, format, sizeBytes, sha256, zooId } = meta;
    return {
      id,
      name,
      source,
      format,
      sizeBytes,
      sha256,
      zooId,
      dir,
      modelJson: path.join(dir, format === 'onnx' ? ONNX_MODEL : MODEL_JSON),
      ...(meta.onnx ? { onnx: meta.onnx } : {}),
    };
  }

  private bundled(): StoredModel[] {
    const out: StoredModel[] = [];
    for (const root of this.bundledDirs) {
      // A bundled dir is either one model folder or a folder of model folders.
      const dirs = fs.existsSync(path.join(root, MODEL_JSON))
        ? [root]
        : fs.existsSync(root)
          ? fs
              .readdirSync(root)
              .sort()
              .map((name) => path.join(root, name))
              .filter((d) => fs.existsSync(path.join(d, MODEL_JSON)))
          : [];
      for (const dir of dirs) {
        const model = this.readBundled(dir);
        if (model && !out.some((m) => m.id === model.id)) out.push(model);
      }
    }
    return out;
  }

  private readBundled(dir: string): StoredModel | null {
    const meta = readMeta(path.join(dir, META_FILE));
    if (meta) return isSafeId(meta.id) ? this.toStored(dir, meta, 'bundled') : null;
    const id = path.basename(dir);
    if (!isSafeId(id)) return null;
    try {
      const info = readModelJson(dir);
      const jsonFile = path.join(dir, MODEL_JSON);
      const sizeBytes = fileSize(jsonFile) + checkShards(dir, info);
      const stat = fs.statSync(jsonFile);
      const stamp = `${stat.mtimeMs}:${sizeBytes}`;
      let memo = this.bundledHashes.get(dir);
      if (memo?.stamp !== stamp) {
        const shards = Object.fromEntries(
          info.shards.map((s) => [s, sha256FileSync(path.join(dir, s))]),
        );
        memo = { stamp, hashes: { modelJson: sha256FileSync(jsonFile), shards } };
        this.bundledHashes.set(dir, memo);
      }
      const meta: ModelMeta = {
        version: 1,
        id,
        name: id,
        format: info.format,
        zooId: null,
        sha256: memo.hashes,
        sizeBytes,
      };
      return this.toStored(dir, meta, 'bundled');
    } catch {
      // A broken bundled folder is skipped rather than hiding every other model.
      return null;
    }
  }
}
