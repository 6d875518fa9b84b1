/**
 * The closed set of error codes that may cross any transport (IPC, WebSocket, CLI).
 * Callers switch on `code`; `message` is for people, `details` for tools.
 */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'NOT_A_PROJECT',
  'PROJECT_TOO_NEW',
  'PROJECT_LOCKED',
  'NO_PROJECT_OPEN',
  'IO_ERROR',
  /** The disk (or quota) holding a file Ocellus writes is full; the work stopped and can resume. */
  'DISK_FULL',
  /** The project is open read-only (read-only media, or owned by another Ocellus process). */
  'READ_ONLY',
  /** A file is larger than Ocellus reads for that purpose. */
  'TOO_LARGE',
  /** A read or call took longer than its limit (a hung drive or share). */
  'TIMEOUT',
  /** Too many calls are waiting on one connection; retry later. */
  'BUSY',
  'UNSUPPORTED',
  'UNAUTHORIZED',
  'FORBIDDEN_PATH',
  'UNKNOWN_METHOD',
  'CANCELLED',
  'TRANSPORT',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The wire shape of an error: plain data, safe to structured-clone or JSON-encode. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** The one error class of the app; every transport rethrows errors as this. */
export class OcellusError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'OcellusError';
    this.code = code;
    this.details = details;
  }

  /** Plain data for the wire. */
  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True when `value` is one of the known error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Turns anything thrown into the wire shape; unknown errors become INTERNAL. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof OcellusError) return err.toJSON();
  if (err instanceof Error) return { code: 'INTERNAL', message: err.message };
  return { code: 'INTERNAL', message: String(err) };
}

/** Rebuilds a typed error from wire data, tolerating malformed input. */
export function deserializeError(data: unknown): OcellusError {
  if (typeof data === 'object' && data !== null) {
    const rec = data as Record<string, unknown>;
    const code = isErrorCode(rec['code']) ? rec['code'] : 'INTERNAL';
    const message = typeof rec['message'] === 'string' ? rec['message'] : 'Unknown error';
    const details =
      typeof rec['details'] === 'object' && rec['details'] !== null
        ? (rec['details'] as Record<string, unknown>)
        : undefined;
    return new OcellusError(code, message, details);
  }
  return new OcellusError('INTERNAL', String(data));
}
