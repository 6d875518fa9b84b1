import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMMANDS, joinDashValues, runCli } from '../../../../src/main/cli/run-cli';
import { writeJpeg, writeTextAsJpeg } from '../../../helpers/image-fixtures';
import { makeTmpDir } from '../../../helpers/tmp-dir';
import { writeTinyCnn } from '../../../helpers/tiny-models';

async function cli(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('ocellus CLI', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => {
    tmp = makeTmpDir();
    process.env['OCELLUS_APP_DATA'] = path.join(tmp.dir, 'appdata');
  });
  afterEach(() => {
    delete process.env['OCELLUS_APP_DATA'];
    tmp.cleanup();
  });

  it('init then status --json prints the documented shape', async () => {
    const file = path.join(tmp.dir, 'a.ocellus');
    expect((await cli(['init', file])).code).toBe(0);
    const { code, stdout } = await cli(['status', file, '--json']);
    expect(code).toBe(0);
    const st = JSON.parse(stdout) as Record<string, unknown>;
    expect(st['images']).toMatchObject({ total: 0, ok: 0, broken: 0, unsupported: 0 });
    expect(st['classes']).toEqual([]);
    expect(st['unlabelled']).toBe(0);
    expect(st['ml']).toMatchObject({ engine: expect.stringMatching(/^(onnx|tfjs)$/) });
    // The CLI does not put projects on the desktop app's recent list.
    expect(fs.existsSync(path.join(tmp.dir, 'appdata', 'recent-projects.json'))).toBe(false);
  });

  it('fails with one line on stderr for a text file, and for unknown commands', async () => {
    const text = path.join(tmp.dir, 'notes.txt');
    fs.writeFileSync(text, 'hello');
    const res = await cli(['status', text]);
    expect(res.code).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/not an Ocellus project/);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['init'])).stderr).toMatch(/usage/);
  });

  it('add imports a folder with labels from folder names; status --json counts it', async () => {
    const file = path.join(tmp.dir, 'a.ocellus');
    const photos = path.join(tmp.dir, 'photos');
    await writeJpeg(path.join(photos, 'owl', '1.jpg'), { width: 40, height: 30 });
    await writeJpeg(path.join(photos, 'owl', '2.jpg'), { width: 40, height: 30, color: '#ffffff' });
    await writeJpeg(path.join(photos, 'fox', '3.jpg'), { width: 40, height: 30, color: '#ff8800' });
    await writeTextAsJpeg(path.join(photos, 'fox', 'bad.jpg'));
    expect((await cli(['init', file])).code).toBe(0);
    const added = await cli(['add', file, photos, '--labels-from-folders', '--json']);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ root: { path: photos, images: 4 } });
    const again = await cli(['add', file, photos]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already in the project/);

    const st = JSON.parse((await cli(['status', file, '--json'])).stdout) as {
      images: Record<string, number>;
      classes: { name: string; count: number }[];
      unlabelled: number;
    };
    expect(st.images).toMatchObject({ total: 4, ok: 3, broken: 1, unsupported: 0 });
    expect(st.classes).toEqual([
      { name: 'fox', count: 1 },
      { name: 'owl', count: 2 },
    ]);
    expect(st.unlabelled).toBe(0);
  });

  it('prints version and help', async () => {
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: ocellus/);
  });

  it("answers --help for every command, with that command's own lines, opening nothing", async () => {
    // The overview's commands are exactly the ones the CLI runs.
    const overview = (await cli(['--help'])).stdout;
    const listed = [...overview.matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1]);
    expect(new Set(listed)).toEqual(new Set(COMMANDS));
    const commands = COMMANDS;
    for (const command of commands) {
      for (const flag of ['--help', '-h']) {
        const r = await cli([command, 'no-such-project.ocellus', flag]);
        expect(r.code, `${command} ${flag}`).toBe(0);
        expect(r.stdout).toContain(`Usage: ocellus ${command}`);
        expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
        expect(r.stderr).toBe('');
      }
    }
    // Subcommands of models share its help; `help <command>` is the same text.
    expect((await cli(['models', 'import', '--help'])).stdout).toContain('models inspect');
    expect((await cli(['help', 'train'])).stdout).toBe((await cli(['train', '--help'])).stdout);
    expect((await cli(['train', '--help'])).stdout).toContain('--refit auto|always|never');
    expect((await cli(['train', '--help'])).stdout).not.toContain('export-dataset');
  });

  it("explains every option of train --help with the Train view's words and default", async () => {
    const help = (await cli(['train', '--help'])).stdout;
    const [usage = '', settings = ''] = help.split('\nSettings:\n');
    const flags = (text: string) =>
      new Set([...text.matchAll(/--(?:\[no-\])?([a-z][a-z-]*)/g)].map((m) => m[1] ?? ''));
    const explained = flags(settings);
    for (const flag of flags(usage)) {
      if (flag === 'help') continue;
      expect(explained.has(flag.replace(/^no-/, '')), flag).toBe(true);
    }
    expect(settings).toMatch(/^ {2}--epochs N +Passes over the training images[^]*?Default: 30\./m);
    expect(settings).toMatch(/--\[no-\]tta [^]*?Default: on\./);
    // A default set by validation, not in the defaults table.
    expect(settings).toMatch(/--unit image\|box [^]*?Default: image\./);
  });

  it('trains with test-time flip averaging by default, and without it under --no-tta', async () => {
    const file = path.join(tmp.dir, 'a.ocellus');
    const photos = path.join(tmp.dir, 'photos');
    for (const [name, color] of [
      ['red', '#c01010'],
      ['blue', '#1010c0'],
    ] as const) {
      for (let i = 0; i < 4; i++)
        await writeJpeg(path.join(photos, name, `${i}.jpg`), { width: 32, height: 32, color });
    }
    const base = path.dirname(await writeTinyCnn(path.join(tmp.dir, 'tiny')));
    await cli(['init', file]);
    await cli(['add', file, photos, '--labels-from-folders']);
    const tta = async (extra: string[]) => {
      const r = await cli(['train', file, '--base', base, '--epochs', '2', '--json', ...extra]);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as {
        estimate: { tta: boolean };
      };
      return summary.estimate.tta;
    };
    expect(await tta([])).toBe(true);
    expect(await tta(['--no-tta'])).toBe(false);
  }, 60_000);

  it("calls an unknown option a usage error that points at the command's help", async () => {
    const r = await cli(['status', 'x.ocellus', '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'ocellus status: unknown option --no-such-option (see ocellus status --help)\n',
    );
    const unknown = await cli(['frobnicate', '--help']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('ocellus label and classes', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  beforeEach(() => {
    tmp = makeTmpDir();
    process.env['OCELLUS_APP_DATA'] = path.join(tmp.dir, 'appdata');
  });
  afterEach(() => {
    delete process.env['OCELLUS_APP_DATA'];
    tmp.cleanup();
  });

  it('labels files and folders by path, creating the class, and lists classes', async () => {
    const file = path.join(tmp.dir, 'a.ocellus');
    const photos = path.join(tmp.dir, 'photos');
    await writeJpeg(path.join(photos, 'x', '1.jpg'), { width: 20, height: 20 });
    await writeJpeg(path.join(photos, 'x', '2.jpg'), { width: 20, height: 20, color: '#00ff00' });
    await writeJpeg(path.join(photos, '3.jpg'), { width: 20, height: 20, color: '#0000ff' });
    await cli(['init', file]);
    await cli(['add', file, photos]);
    const res = await cli([
      'label',
      file,
      'Heron',
      path.join(photos, 'x'),
      path.join(photos, '3.jpg'),
      '--json',
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ class: 'Heron', matched: 3, changed: 3, unknown: [] });
    const missing = await cli(['label', file, 'Heron', path.join(tmp.dir, 'elsewhere.jpg')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not in the project/);
    const listed = JSON.parse((await cli(['classes', file, '--json'])).stdout) as {
      classes: { name: string; count: number; hotkey: string }[];
      unlabelled: number;
    };
    expect(listed.classes).toMatchObject([{ name: 'Heron', count: 3, hotkey: '1' }]);
    expect(listed.unlabelled).toBe(0);
    const removed = await cli(['label', file, 'heron', path.join(photos, '3.jpg'), '--remove']);
    expect(removed.stdout).toMatch(/Unlabelled 1 of 1/);
  });
});

describe('ocellus refuses what it cannot do as asked, in one line, before writing anything', () => {
  let tmp: ReturnType<typeof makeTmpDir>;
  let file: string;
  beforeEach(async () => {
    tmp = makeTmpDir();
    process.env['OCELLUS_APP_DATA'] = path.join(tmp.dir, 'appdata');
    file = path.join(tmp.dir, 'p.ocellus');
    const photos = path.join(tmp.dir, 'photos');
    await writeJpeg(path.join(photos, 'a.jpg'), { width: 20, height: 20 });
    await cli(['init', file]);
    await cli(['add', file, photos]);
  });
  afterEach(() => {
    delete process.env['OCELLUS_APP_DATA'];
    tmp.cleanup();
  });

  it('a metadata key no image has, named with the key it likely meant', async () => {
    const csv = path.join(tmp.dir, 'meta.csv');
    fs.writeFileSync(csv, 'path,PatientID\na.jpg,P1\n');
    expect((await cli(['metadata', file, csv])).code).toBe(0);
    const r = await cli(['train', file, '--base', 'any', '--group-by', 'patientid']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /no image has the metadata key "patientid"; did you mean "PatientID"/i,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a setting out of range, named by its option, negative values included', async () => {
    const folds = await cli(['train', file, '--base', 'any', '--folds', '99']);
    expect(folds.stderr).toMatch(/--folds must be an integer between 0 and 10/);
    const epochs = await cli(['train', file, '--base', 'any', '--epochs', '-3']);
    expect(epochs.stderr).toMatch(/--epochs must be an integer between 1 and 1000/);
    expect(epochs.code).toBe(1);
  });

  it('a predict command line it cannot use exits 2, saying what is missing', async () => {
    const none = await cli(['predict', file]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no images to predict: name files or folders after/);
    const out = await cli(['predict', file, '--manifest', path.join(tmp.dir, 'm.txt')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/with --manifest, --out names where the predictions go/);
  });

  it('reads a negative number or a western offset as the value of the option before it', () => {
    expect(joinDashValues(['--epochs', '-3', '--timezone', '-05:30', '--x', '-1.5'])).toEqual([
      '--epochs=-3',
      '--timezone=-05:30',
      '--x=-1.5',
    ]);
    // A file name that starts with a dash, after a flag, stays a file name.
    expect(joinDashValues(['--json', '-1.jpg', '--', '-2'])).toEqual([
      '--json',
      '-1.jpg',
      '--',
      '-2',
    ]);
  });

  it('SavedModel choices for a model that is not a SavedModel, instead of ignoring them', async () => {
    const base = path.dirname(await writeTinyCnn(path.join(tmp.dir, 'tiny')));
    const r = await cli(['models', 'import', base, '--input-size', '128', '--resize', 'letterbox']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a TensorFlow SavedModel: .* cannot be chosen/);
    const bad = await cli(['models', 'import', base, '--resize', 'stretch']);
    expect(bad.stderr).toMatch(/--resize is center-crop, squash or letterbox/);
    expect((await cli(['models', 'import', base])).code).toBe(0);
  });

  it('a dataset export with a word it does not know, or a time zone that is not an offset', async () => {
    const out = path.join(tmp.dir, 'out');
    const base = ['export-dataset', file, '--out', out];
    for (const [extra, said] of [
      [['--format', 'imagefolder', '--link', 'symlink'], /linkMode is copy or hardlink/],
      [['--format', 'camtrap-dp', '--deployments', 'planet'], /deploymentsBy is root or camera/],
      [['--format', 'camtrap-dp', '--timezone', '25:00'], /"25:00" is not a UTC offset/],
      [['--format', 'camtrap-dp', '--timezone', '+99:99'], /"\+99:99" is not a UTC offset/],
    ] as const) {
      const r = await cli([...base, ...extra]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(said);
      expect(fs.existsSync(out)).toBe(false);
    }
    const west = await cli([...base, '--format', 'camtrap-dp', '--timezone', '-05:30']);
    expect(west.stderr).toBe('');
    expect(west.code).toBe(0);
  });
});
