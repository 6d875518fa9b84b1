import { utilityProcess } from 'electron';
import type { MlChildProcess, MlProcessLauncher } from '../core/ml/embed-pool';
import type { FromWorker, ToWorker } from '../core/ml/worker-protocol';

/**
 * ML child processes as Electron utility processes. child_process.fork would start the
 * Electron binary as Node, which needs the RunAsNode fuse that packaging turns off.
 */
export const utilityProcessLauncher: MlProcessLauncher = (file) => {
  const child = utilityProcess.fork(file, [], { serviceName: 'Ocellus ML', stdio: 'inherit' });
  const adapter: MlChildProcess = {
    get pid() {
      return child.pid;
    },
    send: (msg: ToWorker) => child.postMessage(msg),
    on: ((event: 'message' | 'exit' | 'error', fn: (...args: never[]) => void) => {
      if (event === 'message')
        child.on('message', (msg: FromWorker) => (fn as (m: FromWorker) => void)(msg));
      else if (event === 'exit')
        child.on('exit', (code: number) => (fn as (c: number) => void)(code));
      else
        child.on('error', (type: string, location: string) =>
          (fn as (e: Error) => void)(new Error(`${type} at ${location}`)),
        );
      return adapter;
    }) as MlChildProcess['on'],
    kill: () => child.kill(),
  };
  return adapter;
};
