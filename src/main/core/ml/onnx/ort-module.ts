import type * as OrtModule from 'onnxruntime-node';

/**
 * Imports onnxruntime-node with its telemetry off. Its Linux build starts a telemetry system
 * with the first session that reads /proc/self/cmdline and walks it recursively on the main
 * thread: a command line over about 28 KB (some 500 image paths) overflows the stack and the
 * process dies with SIGSEGV. It would also write ~/.cache/Microsoft/DeveloperTools and try
 * HTTPS uploads, which an offline app must not do. ORT reads the variable when it starts.
 */
export async function importOrt(): Promise<typeof OrtModule> {
  process.env['ORT_DISABLE_TELEMETRY'] = '1';
  return (await import('onnxruntime-node')) as typeof OrtModule;
}
