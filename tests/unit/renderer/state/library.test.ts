import { describe, expect, it } from 'vitest';
import type { ImageFilter, IdQuery } from '../../../../src/shared/types';
import type { LibraryState } from '../../../../src/renderer/src/lib/state/library.svelte';
import { PROJECT, settle, startStates } from './fake-client';

/** A project whose unlabelled images are `unlabelled` (every listing answers from it). */
async function grid(initial: number[]) {
  const unlabelled = new Set(initial);
  const { states, api } = await startStates({
    'project.current': PROJECT,
    'project.status': null,
    'assist.status': null,
    'library.listIds': (q: IdQuery) => ({
      ids: [...unlabelled].filter((id) => !q.filter?.imageIds || q.filter.imageIds.includes(id)),
      next: null,
    }),
    'library.imageIds': (f: ImageFilter) => (f.imageIds ?? []).filter((id) => unlabelled.has(id)),
  });
  states.library.setFilter({ kind: 'unlabelled' });
  await states.library.listing.whenComplete();
  return { states, api, unlabelled };
}

/** Every selected image is one the grid lists. */
function selectionIsShown(library: LibraryState): boolean {
  const shown = new Set(library.listing.slice(0, library.total));
  return library.targets().every((id) => shown.has(id));
}

describe('LibraryState', () => {
  it('keeps the selection a subset of what the grid shows as images leave it', async () => {
    const { states, api, unlabelled } = await grid([1, 2, 3, 4, 5, 6]);
    const { library } = states;
    library.click(1, { shift: false, toggle: false });
    library.click(4, { shift: true, toggle: false });
    expect(library.targets()).toEqual([2, 3, 4, 5]);
    expect(library.selectedCount).toBe(4);

    // Images 3 and 4 got a label: they leave the "unlabelled" grid, and the selection.
    unlabelled.delete(3);
    unlabelled.delete(4);
    const checked = api.next('library.imageIds');
    api.emit('labels:changed', {
      imageIds: [3, 4],
      classesChanged: false,
      canUndo: true,
      canRedo: false,
    });
    await checked;
    await settle();
    expect(library.listing.slice(0, 10)).toEqual([1, 2, 5, 6]);
    expect(library.targets()).toEqual([2, 5]);
    expect(library.isSelected(3)).toBe(false);
    expect(selectionIsShown(library)).toBe(true);

    // A reload (an import, new suggestions) swaps in a list without 5: it leaves too.
    unlabelled.delete(5);
    const reloaded = api.next('library.listIds');
    library.listing.reload();
    await reloaded;
    await settle();
    expect(library.targets()).toEqual([2]);
    expect(selectionIsShown(library)).toBe(true);

    library.setFilter({ kind: 'all' });
    expect(library.selectedCount).toBe(0);
    expect(states.app.error).toBeNull();
  });

  it('aims a key with nothing selected at the focused image, which follows its image', async () => {
    const { states, api, unlabelled } = await grid([10, 20, 30]);
    const { library } = states;
    library.moveFocus(99);
    expect(library.targets()).toEqual([30]);
    library.moveFocus(1);
    expect(library.targets()).toEqual([20]);

    // The focused image leaves the grid: the image that takes its place is focused.
    unlabelled.delete(20);
    const checked = api.next('library.imageIds');
    api.emit('labels:changed', {
      imageIds: [20],
      classesChanged: false,
      canUndo: true,
      canRedo: false,
    });
    await checked;
    await settle();
    expect(library.targets()).toEqual([30]);
  });

  it('toggles with ctrl and extends from the anchor with shift', async () => {
    const { states } = await grid([1, 2, 3, 4, 5]);
    const { library } = states;
    library.click(0, { shift: false, toggle: false });
    library.click(2, { shift: false, toggle: true });
    expect(library.targets()).toEqual([1, 3]);
    library.click(2, { shift: false, toggle: true });
    expect(library.targets()).toEqual([1]);
    library.click(4, { shift: true, toggle: true });
    expect(library.targets().sort()).toEqual([1, 3, 4, 5]);
    library.clearSelection();
    expect(library.targets()).toEqual([5]);
  });
});
