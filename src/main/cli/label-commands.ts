import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { OcellusService } from '../core/service';
import type { CliIo } from './cli-io';
import { openToRead } from './open-project';

/** `ocellus classes <project> [--json]`: the classes with their counts. */
export async function classes(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const [file, ...extra] = positionals;
  if (!file || extra.length)
    throw new OcellusError('INVALID_ARGUMENT', 'usage: ocellus classes <project.ocellus> [--json]');
  await openToRead(service, file);
  const counts = await service.api.labels.counts();
  if (values.json) {
    io.stdout(`${JSON.stringify(counts, null, 2)}\n`);
  } else {
    const lines = counts.classes.map(
      (c) => `${(c.hotkey ?? ' ').padEnd(2)} ${c.name.padEnd(24)} ${c.count}`,
    );
    io.stdout(
      `${lines.join('\n')}${lines.length ? '\n' : ''}unlabelled: ${counts.unlabelled} of ${counts.readable}\n` +
        (counts.readyToTrain ? 'ready to train\n' : `${counts.readyHint ?? ''}\n`),
    );
  }
  return 0;
}

/**
 * `ocellus label <project> <class> <paths…>`: labels the images at those paths (files, or
 * folders for everything below them); creates the class when it does not exist.
 */
// eslint-disable-next-line max-lines-per-function -- the command's argument checks and its path walk, a short branch each.
export async function label(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      remove: { type: 'boolean' },
      'replace-human': { type: 'boolean' },
    },
  });
  const [file, className, ...paths] = positionals;
  if (!file || !className || paths.length === 0) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'usage: ocellus label <project.ocellus> <class> <paths…> [--remove] [--replace-human]',
    );
  }
  await service.api.project.open(path.resolve(file));
  const roots = await service.api.library.roots();
  const wanted = new Set<number>();
  const unknown: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(p);
    const real = fs.existsSync(abs) ? fs.realpathSync(abs) : abs;
    const root = roots.find(
      (r) =>
        isInside(r.path, abs) || (fs.existsSync(r.path) && isInside(fs.realpathSync(r.path), real)),
    );
    if (!root) {
      unknown.push(p);
      continue;
    }
    const base = isInside(root.path, abs) ? root.path : fs.realpathSync(root.path);
    const rel = path
      .relative(base, isInside(root.path, abs) ? abs : real)
      .split(path.sep)
      .join('/');
    const isDir = fs.existsSync(abs) && fs.statSync(abs).isDirectory();
    const filter = isDir
      ? rel
        ? { rootId: root.id, folder: rel }
        : { rootId: root.id }
      : { rootId: root.id, relPath: rel };
    const ids = await service.api.library.imageIds(filter);
    if (ids.length === 0) unknown.push(p);
    ids.forEach((id) => wanted.add(id));
  }
  const existing = (await service.api.labels.classes()).find(
    (c) => c.name.toLowerCase() === className.trim().toLowerCase(),
  );
  let cls = existing;
  if (!cls) {
    if (values.remove) throw new OcellusError('NOT_FOUND', `No class named ${className}`);
    cls = await service.api.labels.addClass(className);
  }
  const ids = [...wanted];
  const change = ids.length
    ? values.remove
      ? // Paths named on the command line are what the user asked for.
        await service.api.labels.unassign(ids, cls.id, { replaceHuman: true })
      : await service.api.labels.assign(ids, cls.id, {
          replaceHuman: values['replace-human'] === true,
        })
    : null;
  if (change?.replacesHuman) {
    io.stderr(
      `Nothing labelled: ${change.replacesHuman === 1 ? '1 of the images has' : `${change.replacesHuman} of the images have`} a human label of another class. Run again with --replace-human to replace those labels.\n`,
    );
    return 1;
  }
  const summary = {
    class: cls.name,
    matched: ids.length,
    changed: change?.imageIds.length ?? 0,
    unknown,
  };
  if (values.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  else {
    io.stdout(
      `${values.remove ? 'Unlabelled' : 'Labelled'} ${summary.changed} of ${summary.matched} matched images as ${cls.name}\n`,
    );
    if (unknown.length) io.stderr(`not in the project: ${unknown.join(', ')}\n`);
  }
  return ids.length === 0 ? 1 : 0;
}

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
