import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { BaseModelInfo, JobInfo } from '../../shared/types';
import type { OcellusService } from '../core/service';
import type { CliIo } from './run-cli';

/** `ocellus models [--json]` and `ocellus models import <folder|file>`. */
export async function models(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  if (positionals[0] === 'import') {
    const source = positionals[1];
    if (!source || positionals.length > 2) {
      throw new OcellusError('INVALID_ARGUMENT', 'usage: ocellus models import <folder|file>');
    }
    const model = await service.api.ml.importModel(path.resolve(source));
    io.stdout(
      values.json
        ? `${JSON.stringify(model, null, 2)}\n`
        : `Imported ${model.id} (${model.name})\n`,
    );
    return 0;
  }
  if (positionals.length > 0)
    throw new OcellusError('INVALID_ARGUMENT', 'usage: ocellus models [import <path>] [--json]');
  const list = await service.api.ml.models();
  io.stdout(values.json ? `${JSON.stringify(list, null, 2)}\n` : formatModels(list));
  return 0;
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
