import path from 'node:path';
import { parseArgs } from 'node:util';
import { OcellusError } from '../../shared/errors';
import type { ProjectStatus } from '../../shared/types';
import { defaultAppDataDir, defaultProjectDir } from '../core/app-paths';
import { createOcellusService, type OcellusService } from '../core/service';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const HELP = `Usage: ocellus <command> [options]

Commands:
  init <project.ocellus> [--name NAME] [--multi-label]   create a project file
  status <project.ocellus> [--json]                      counts of images, classes, labels

Options:
  --help, -h       show this help
  --version, -v    print the version
`;

/** Runs one CLI invocation; returns the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout(`${__OCELLUS_VERSION__}\n`);
    return 0;
  }
  const service = createOcellusService({
    host: 'cli',
    appVersion: __OCELLUS_VERSION__,
    appDataDir: defaultAppDataDir(),
    defaultProjectDir: defaultProjectDir(),
    trackRecent: false,
  });
  try {
    switch (command) {
      case 'init':
        return await init(service, rest, io);
      case 'status':
        return await status(service, rest, io);
      default:
        io.stderr(`ocellus: unknown command '${command}' (see ocellus --help)\n`);
        return 2;
    }
  } catch (err) {
    io.stderr(`ocellus ${command}: ${oneLine(err)}\n`);
    return 1;
  } finally {
    service.dispose();
  }
}

async function init(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'multi-label': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  const file = single(positionals, 'init <project.ocellus>');
  const summary = await service.api.project.create({
    path: path.resolve(file),
    name: values.name,
    labelMode: values['multi-label'] ? 'multi' : 'single',
  });
  if (values.json) io.stdout(`${JSON.stringify(summary)}\n`);
  else
    io.stdout(`Created ${summary.path} (${summary.labelMode}-label project "${summary.name}")\n`);
  return 0;
}

async function status(service: OcellusService, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean' } },
  });
  const file = single(positionals, 'status <project.ocellus>');
  await service.api.project.open(path.resolve(file));
  const st = await service.api.project.status();
  io.stdout(values.json ? `${JSON.stringify(st, null, 2)}\n` : formatStatus(st));
  return 0;
}

function formatStatus(st: ProjectStatus): string {
  const lines = [
    `${st.project.name}  (${st.project.path})`,
    `  schema ${st.project.schemaVersion}, ${st.project.labelMode}-label, created ${st.project.createdAt}`,
    `  images: ${st.images.total} (${st.images.ok} ok, ${st.images.broken} broken, ${st.images.unsupported} unsupported)`,
    `  unlabelled: ${st.unlabelled}`,
    `  classes: ${st.classes.length === 0 ? 'none' : st.classes.map((c) => `${c.name} ${c.count}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

function single(positionals: string[], usage: string): string {
  const [first, ...extra] = positionals;
  if (first === undefined || extra.length > 0) {
    throw new OcellusError('INVALID_ARGUMENT', `usage: ocellus ${usage}`);
  }
  return first;
}

function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0] ?? message;
}
