import { OcellusError } from '../../../shared/errors';

/** Checks an argument that arrived over a transport is a non-empty string. */
export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be a non-empty string`);
  }
  if (value.includes('\0'))
    throw new OcellusError('INVALID_ARGUMENT', `${name} contains a NUL byte`);
  return value;
}

/** Checks an argument that arrived over a transport is a plain object. */
export function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OcellusError('INVALID_ARGUMENT', `${name} must be an object`);
  }
  return value as Record<string, unknown>;
}
