import { type Domain, type OcellusApi, type RpcResult, isMethodChannel } from '../../../shared/api';
import { OcellusError, serializeError } from '../../../shared/errors';
import { toOcellusError } from '../util/io-errors';

/**
 * Calls one method of the contract by its channel name with untrusted arguments, and
 * wraps the outcome in an envelope. Every transport funnels through here.
 */
export async function dispatch(
  api: OcellusApi,
  channel: unknown,
  args: unknown,
): Promise<RpcResult> {
  try {
    if (!isMethodChannel(channel)) {
      throw new OcellusError('UNKNOWN_METHOD', `Unknown method: ${String(channel)}`);
    }
    if (!Array.isArray(args))
      throw new OcellusError('INVALID_ARGUMENT', 'Arguments must be an array');
    const [domain, method] = channel.split('.') as [Domain, string];
    // The channel was checked against the contract's method table above, so this lookup
    // always finds a function; the index type cannot express that per-domain.
    const fn = (api[domain] as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[
      method
    ];
    if (typeof fn !== 'function')
      throw new OcellusError('UNKNOWN_METHOD', `Unknown method: ${channel}`);
    const value = await fn(...args);
    return { ok: true, value: value === undefined ? null : value };
  } catch (err) {
    const error = serializeError(toOcellusError(err));
    if (error.code === 'INTERNAL') console.error(`[ocellus] ${String(channel)} failed:`, err);
    return { ok: false, error };
  }
}
