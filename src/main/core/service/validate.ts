import os from 'node:os';
import path from 'node:path';
import { OcellusError } from '../../../shared/errors';
import type { LabelOptions, PrivacyOptions } from '../../../shared/types';

/** Checks an argument that arrived over a transport is a non-empty string. */
export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  }
  if (value.includes('\0'))
    throw new OcellusError('INVALID_ARGUMENT', `${name} contains a NUL byte`);
  return value;
}

/** One of a few words, or the default when absent; anything else is refused, naming the choices. */
export function oneOf<T extends string>(
  value: unknown,
  choices: readonly T[],
  fallback: T,
  name: string,
): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (choices as readonly string[]).includes(value))
    return value as T;
  throw new OcellusError('INVALID_ARGUMENT', `${name} is ${choices.join(' or ')}`);
}

/** Checks an argument that arrived over a transport is a plain object. */
export function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be an object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Checks a file or folder path that arrived over a transport: a full path (a leading `~` is
 * the user's home), never one relative to wherever the server happens to run.
 */
export function requirePath(value: unknown, name: string): string {
  const raw = requireString(value, name).trim();
  const expanded = raw === '~' || /^~[\\/]/.test(raw) ? path.join(os.homedir(), raw.slice(1)) : raw;
  if (!path.isAbsolute(expanded)) {
    throw new OcellusError(
      'INVALID_ARGUMENT',
      `${name} must be a full path (such as ${path.join(os.homedir(), 'photos')}), not ${raw.slice(0, 200)}`,
    );
  }
  return path.resolve(expanded);
}

/** The options of a label action that may replace human labels. */
export function labelOptions(value: unknown): LabelOptions {
  if (value === undefined || value === null) return {};
  const o = requireObject(value, 'options');
  if (o['replaceHuman'] !== undefined && typeof o['replaceHuman'] !== 'boolean')
    throw new OcellusError('INVALID_ARGUMENT', 'replaceHuman is true or false');
  return { replaceHuman: o['replaceHuman'] === true };
}

/** Checked privacy options of a dataset export; null when none is asked for. */
export function privacyOptions(value: unknown, format: string): PrivacyOptions | null {
  if (value === undefined || value === null) return null;
  const o = requireObject(value, 'privacy');
  const out: PrivacyOptions = {};
  for (const flag of ['deidentify', 'stripMetadata', 'pseudonymiseNames'] as const) {
    const v = o[flag];
    if (v === undefined) continue;
    if (typeof v !== 'boolean')
      throw new OcellusError('INVALID_ARGUMENT', `${flag} must be true or false`);
    out[flag] = v;
  }
  const dates = o['dates'];
  if (dates !== undefined) {
    if (dates !== 'shift' && dates !== 'remove')
      throw new OcellusError('INVALID_ARGUMENT', 'dates must be "shift" or "remove"');
    out.dates = dates;
  }
  if (!out.deidentify && !out.stripMetadata && !out.pseudonymiseNames) return null;
  if (format !== 'imagefolder')
    throw new OcellusError(
      'INVALID_ARGUMENT',
      'De-identification, metadata stripping and pseudonymised names apply to ImageFolder exports (the ones that copy files)',
    );
  return out;
}
