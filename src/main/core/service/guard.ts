import { API_METHODS, type Domain, type OcellusApi } from '../../../shared/api';
import { toOcellusError } from '../util/io-errors';

type AnyMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * The contract with every method's failures typed at the source: a full disk, a read-only
 * file system or a busy project file surface as DISK_FULL, READ_ONLY or BUSY for every
 * caller, the CLI's direct calls as much as IPC and WebSocket, never as INTERNAL.
 */
export function guardApi(api: OcellusApi): OcellusApi {
  const guarded: Record<string, Record<string, AnyMethod>> = {};
  for (const domain of Object.keys(API_METHODS) as Domain[]) {
    // Each domain object holds exactly the methods listed for it (the contract proves it).
    const impl = api[domain] as unknown as Record<string, AnyMethod>;
    const methods: Record<string, AnyMethod> = {};
    for (const name of API_METHODS[domain]) {
      const fn = impl[name];
      if (typeof fn !== 'function') continue;
      methods[name] = async (...args) => {
        try {
          return await fn.apply(impl, args);
        } catch (err) {
          throw toOcellusError(err);
        }
      };
    }
    guarded[domain] = methods;
  }
  // Built from API_METHODS, which the compiler has proven equal to OcellusApi.
  return guarded as unknown as OcellusApi;
}
