import { describe, expect, it } from 'vitest';
import type { LabelChange, LabelOptions } from '../../../../src/shared/types';
import { PROJECT, deferred, settle, startStates } from './fake-client';

function change(description: string, over: Partial<LabelChange> = {}): LabelChange {
  return { batchId: 1, description, imageIds: [], canUndo: true, canRedo: false, ...over };
}

/** Started states with a project open and the answers label events cause. */
function started(answers: Record<string, unknown> = {}) {
  return startStates({
    'project.current': PROJECT,
    'project.status': null,
    'assist.status': null,
    ...answers,
  });
}

describe('LabelsState', () => {
  it('runs label keys one after another, in the order pressed, on the images aimed at', async () => {
    const first = deferred<LabelChange>();
    const { states, api } = await started({
      'labels.assign': (ids: number[], classId: number) =>
        ids[0] === 1 ? first.promise : change(`Label ${ids.length} images as ${classId}`),
    });
    const { labels } = states;
    const a = labels.assign([1], 7);
    const b = labels.assign([2, 3], 8);
    await api.next('labels.assign');
    await settle();
    // The second key waits for the first to be done.
    expect(api.callsOf('labels.assign')).toEqual([[[1], 7, { replaceHuman: true }]]);
    expect(labels.pending).toBe(2);
    expect(labels.busy).toBe(true);
    first.resolve(change('Label 1 image as 7'));
    expect(await a).toBe(true);
    expect(await b).toBe(true);
    // One image is relabelled as asked; several ask before replacing human labels.
    expect(api.callsOf('labels.assign')).toEqual([
      [[1], 7, { replaceHuman: true }],
      [[2, 3], 8, {}],
    ]);
    expect(labels.pending).toBe(0);
    expect(labels.lastAction).toBe('Label 2 images as 8');
    expect(states.app.error).toBeNull();
  });

  it('asks before replacing human labels: No changes nothing, Yes repeats with replaceHuman', async () => {
    const { states, api } = await started({
      'labels.assign': (_ids: number[], _cls: number, o: LabelOptions) =>
        o.replaceHuman ? change('Label 3 images as deer') : change('', { replacesHuman: 2 }),
      'labels.counts': { classes: [{ id: 7, name: 'deer' }] },
      'labels.clear': change('Clear 1 image'),
    });
    const { labels } = states;
    await labels.refresh();

    const no = labels.assign([1, 2, 3], 7);
    const queued = labels.clear([9]);
    await api.next('labels.assign');
    await settle();
    expect(labels.question?.text).toBe(
      '2 images of these 3 have a human label of another class. Replace them and label them deer?',
    );
    expect(labels.question?.confirm).toBe('Replace 2 human labels');
    // The key pressed after it waits for the answer.
    expect(api.callsOf('labels.clear')).toEqual([]);
    labels.question?.answer(false);
    expect(await no).toBe(false);
    expect(labels.question).toBeNull();
    expect(api.callsOf('labels.assign')).toHaveLength(1);
    expect(await queued).toBe(true);

    const yes = labels.assign([1, 2, 3], 7);
    await api.next('labels.assign');
    await settle();
    labels.question?.answer(true);
    expect(await yes).toBe(true);
    expect(api.callsOf('labels.assign').slice(1)).toEqual([
      [[1, 2, 3], 7, {}],
      [[1, 2, 3], 7, { replaceHuman: true }],
    ]);
    expect(labels.lastAction).toBe('Label 3 images as deer');
  });

  it('follows undo and redo from events and answers, refreshing the counts once per burst', async () => {
    const { states, api } = await started({ 'labels.counts': { classes: [] } });
    const { labels } = states;
    const refreshed = api.next('labels.counts');
    const event = { imageIds: [4], classesChanged: false, canUndo: true, canRedo: false };
    api.emit('labels:changed', event);
    api.emit('labels:changed', event);
    expect(labels.canUndo).toBe(true);
    await refreshed;
    await settle();
    expect(api.callsOf('labels.counts')).toHaveLength(1);

    api.answer({ 'labels.undo': change('Undo: label 1 image', { canUndo: false, canRedo: true }) });
    expect(await labels.undo()).toBe(true);
    expect([labels.canUndo, labels.canRedo]).toEqual([false, true]);
    expect(labels.lastAction).toBe('Undo: label 1 image');

    api.answer({ 'labels.redo': null });
    const count = labels.actionCount;
    await labels.redo();
    expect(labels.lastAction).toBe('Nothing to redo');
    expect(labels.actionCount).toBe(count + 1);
  });

  it('accepts an unsure suggestion at the second press of the same key only', async () => {
    const { states } = await started();
    const { labels } = states;
    expect(labels.pressAccept('1', null)).toBe(true);
    expect(labels.pressAccept('1', 'Unsure: press again')).toBe(false);
    expect(labels.lastAction).toBe('Unsure: press again');
    expect(labels.pressAccept('1,2', 'Unsure: press again')).toBe(false);
    expect(labels.pressAccept('1,2', 'Unsure: press again')).toBe(true);
    expect(labels.pressAccept('1,2', 'Unsure: press again')).toBe(false);
    labels.disarm();
    expect(labels.pressAccept('1,2', 'Unsure: press again')).toBe(false);
  });

  it('says so when a key has no image to act on, and calls nothing', async () => {
    const { states, api } = await started();
    expect(await states.labels.assign([], 7)).toBe(false);
    expect(states.labels.lastAction).toBe('Nothing to label: no image is focused or selected');
    expect(api.calls.filter((c) => c.channel.startsWith('labels.'))).toEqual([]);
  });
  it('queues a box key behind the image keys before it, and an undo behind the box key', async () => {
    const first = deferred<LabelChange>();
    const { states, api } = await started({
      'labels.assign': () => first.promise,
      'detect.labelBoxes': (ids: number[]) => change(`Label ${ids.length} box fox`),
      'labels.undo': change('Undo: Label 1 box fox'),
    });
    const image = states.labels.assign([1], 7);
    const box = states.detect.labelBox(42, 3);
    const undo = states.labels.undo();
    await api.next('labels.assign');
    await settle();
    // Nothing behind the image key has run while it is in flight.
    expect(api.calls.map((c) => c.channel)).not.toContain('detect.labelBoxes');
    expect(api.callsOf('labels.undo')).toEqual([]);
    expect(states.labels.pending).toBe(3);
    first.resolve(change('Label 1 image as 7'));
    expect(await Promise.all([image, box, undo])).toEqual([true, true, true]);
    expect(
      api.calls
        .map((c) => c.channel)
        .filter((c) => c === 'labels.assign' || c === 'detect.labelBoxes' || c === 'labels.undo'),
    ).toEqual(['labels.assign', 'detect.labelBoxes', 'labels.undo']);
    expect(api.callsOf('detect.labelBoxes')).toEqual([[[42], 3]]);
    expect(states.labels.lastAction).toBe('Undo: Label 1 box fox');
  });
});
