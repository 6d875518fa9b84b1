import type { RunSummary } from './types';
import { dateTime } from './format';

type Named = Pick<RunSummary, 'id' | 'title' | 'config' | 'baseName' | 'startedAt'>;

/** "Features" or "Fine-tune": how a run trained; "on boxes" for a run on box crops. */
export function modeName(run: Pick<RunSummary, 'config'>): string {
  const mode = run.config.mode === 'finetune' ? 'Fine-tune' : 'Features';
  return run.config.unit === 'box' ? `${mode} on boxes` : mode;
}

/**
 * The one name of a run wherever a run is chosen: its title when it has one, then number,
 * mode, base model and start time, e.g. "Herons v2 · #3 Fine-tune · MobileNet V2 · 2026-05-03 14:02".
 */
export function runName(run: Named): string {
  const base = run.baseName ?? run.config.baseModel;
  const plain = `#${run.id} ${modeName(run)} · ${base} · ${dateTime(run.startedAt)}`;
  return run.title ? `${run.title} · ${plain}` : plain;
}
