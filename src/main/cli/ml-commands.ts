import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { BaseModelInfo, JobInfo, SavedModelChoice, SavedModelInfo } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';

const MODELS_USAGE =
  'usage: ocellus models [--json] | models import <folder|file> [--signature NAME] ' +
  '[--feature-output NAME] [--input-size H[xW]] [--normalization=0,1|-1,1|imagenet|caffe|caffe-bgr] ' +
  '[--resize center-crop|squash|letterbox] [--json] | models inspect <SavedModel folder> [--json]';

/** Named normalisations a user can declare for a SavedModel on the command line. */
const NORMALIZATIONS: Record<
  string,
  NonNullable<SavedModelChoice['preprocessing']>['normalization']
> = {
  '0,1': { kind: 'range', min: 0, max: 1 },
  '-1,1': { kind: 'range', min: -1, max: 1 },
  imagenet: { kind: 'mean-std', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  caffe: { kind: 'caffe', mean: [123.68, 116.779, 103.939], bgr: false },
  'caffe-bgr': { kind: 'caffe', mean: [103.939, 116.779, 123.68], bgr: true },
};

/** The SavedModel choices given on the command line. */
function savedModelChoice(values: Record<string, string | boolean | undefined>): SavedModelChoice {
  const str = (k: string) => (typeof values[k] === 'string' ? values[k] : undefined);
  const pre: NonNullable<SavedModelChoice['preprocessing']> = {};
  const size = str('input-size');
  if (size !== undefined) {
    const m = /^(\d+)(?:x(\d+))?$/.exec(size);
    if (!m) throw new OcellusError('INVALID_ARGUMENT', '--input-size is H or HxW, e.g. 224');
    pre.inputSize = [Number(m[1]), Number(m[2] ?? m[1])];
  }
  const norm = str('normalization');
  if (norm !== undefined) {
    const n = NORMALIZATIONS[norm];
    if (!n) {
      throw new OcellusError(
        'INVALID_ARGUMENT',
        `--normalization is one of ${Object.keys(NORMALIZATIONS).join(', ')}`,
      );
    }
    pre.normalization = n;
  }
  const resize = str('resize');
  if (resize !== undefined && !['center-crop', 'squash', 'letterbox'].includes(resize))
    throw new OcellusError('INVALID_ARGUMENT', '--resize is center-crop, squash or letterbox');
  if (resize !== undefined) pre.resize = resize as NonNullable<typeof pre.resize>;
  return {
    ...(str('signature') ? { signature: str('signature') } : {}),
    ...(str('feature-output') ? { featureOutput: str('feature-output') } : {}),
    ...(Object.keys(pre).length ? { preprocessing: pre } : {}),
  };
}

/** `ocellus models [--json]`, `ocellus models import <folder|file>` and `models inspect`. */
export async function models(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      signature: { type: 'string' },
      'feature-output': { type: 'string' },
      'input-size': { type: 'string' },
      normalization: { type: 'string' },
      resize: { type: 'string' },
    },
  });
  if (values.help) {
    io.stdout(`${MODELS_USAGE}\n`);
    return 0;
  }
  const [action, source, ...extra] = positionals;
  if (action === 'import' || action === 'inspect') {
    if (!source || extra.length > 0) throw new OcellusError('INVALID_ARGUMENT', MODELS_USAGE);
    if (action === 'inspect') {
      const info = await service.api.ml.inspectSavedModel(path.resolve(source));
      if (!info) throw new OcellusError('INVALID_ARGUMENT', `${source} is not a SavedModel folder`);
      io.stdout(values.json ? `${JSON.stringify(info, null, 2)}\n` : formatSavedModel(info));
      return 0;
    }
    const model = await service.api.ml.importModel(path.resolve(source), savedModelChoice(values));
    io.stdout(
      values.json
        ? `${JSON.stringify(model, null, 2)}\n`
        : `Imported ${model.id} (${model.name}, ${model.format})\n`,
    );
    return 0;
  }
  if (positionals.length > 0) throw new OcellusError('INVALID_ARGUMENT', MODELS_USAGE);
  const list = await service.api.ml.models();
  io.stdout(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatModels(list));
  return 0;
}

function formatSavedModel(info: SavedModelInfo): string {
  const shape = (s: number[]) => `[${s.map((d) => (d < 0 ? '?' : d)).join(', ')}]`;
  const lines = info.signatures.map((s) => {
    const ins = s.inputs.map((t) => `${t.name} ${t.dtype}${shape(t.shape)}`).join(', ');
    const outs = s.outputs.map((t) => `${t.name} ${t.dtype}${shape(t.shape)}`).join(', ');
    return `${s.name === info.signature ? '*' : ' '} ${s.name} (tags ${s.tags.join(',')}): ${ins} -> ${outs}`;
  });
  return `${lines.join('\n')}\n* default signature; feature output: ${info.featureOutput}\nNote: ${info.note}\n`;
}

/** `ocellus embed <project> --base <id|path> [--batch-size N] [--json]`. */
export async function embed(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      base: { type: 'string' },
      'batch-size': { type: 'string' },
      json: { type: 'boolean' },
      progress: { type: 'boolean' },
    },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length > 0 || !values.base) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus embed <project.ocellus> --base <model id|folder>',
    );
  }
  await service.api.project.open(path.resolve(file));
  let modelId = values.base;
  if (fs.existsSync(values.base))
    modelId = (await service.api.ml.importModel(path.resolve(values.base))).id;
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1)) {
    throw new OcellusError('INVALID_ARGUMENT', '--batch-size must be a positive integer');
  }
  const started = Date.now();
  const job = await service.api.ml.embed(modelId, { batchSize });
  const final = await waitForJob(
    service,
    job,
    io,
    values.progress === true || (!values.json && process.stderr.isTTY === true),
  );
  if (final.state !== 'done')
    throw new OcellusError(
      final.state === 'cancelled' ? 'CANCELLED' : 'INTERNAL',
      final.error ?? `Embedding ${final.state}`,
    );
  const st = await service.api.ml.embeddingStatus(modelId);
  const ml = await service.api.ml.status();
  const seconds = (Date.now() - started) / 1000;
  const summary = {
    model: modelId,
    backend: ml.backend,
    engine: ml.engine ?? null,
    ...st,
    seconds: Math.round(seconds * 100) / 100,
  };
  io.stdout(
    values.json
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `${st.embedded}/${st.total} images have ${st.dim ?? '?'}-d embeddings from ${modelId} (${st.failed} failed) on ${ml.engine === 'onnx' ? 'ONNX Runtime' : ml.backend}, ${seconds.toFixed(1)} s\n`,
  );
  return 0;
}

/** Resolves with the job's final state, echoing progress when asked. */
export function waitForJob(
  service: OcellusService,
  job: JobInfo,
  io: CliIo,
  progress: boolean,
): Promise<JobInfo> {
  return new Promise((resolve) => {
    const off = service.bus.on('job:updated', (j) => {
      if (j.id !== job.id) return;
      if (j.state === 'running') {
        if (progress)
          io.stderr(
            `${j.detail ?? j.title} (${j.done}/${j.total})${j.rate ? ` ${j.rate.toFixed(1)}/s` : ''}\n`,
          );
        return;
      }
      off();
      resolve(j);
    });
    // It may have finished before we subscribed.
    void service.api.jobs.list().then((all) => {
      const now = all.find((j) => j.id === job.id);
      if (now && now.state !== 'running' && now.state !== 'queued') {
        off();
        resolve(now);
      }
    });
  });
}

function formatModels(list: BaseModelInfo[]): string {
  const rows = list.map(
    (m) =>
      `${m.available ? '●' : '○'} ${m.id.padEnd(30)} ${m.format.padEnd(6)} ${m.inputSize.join('×').padEnd(8)} ${String(m.featureSize ?? '?').padEnd(5)} ${m.source.padEnd(8)} ${m.confirmed ? '' : '(address unconfirmed)'}`,
  );
  return `  ${'id'.padEnd(30)} format input    dim   where\n${rows.join('\n')}\n● available offline   ○ download first\n`;
}
