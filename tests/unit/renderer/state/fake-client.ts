import type {
  ApiEvents,
  EventName,
  MethodChannel,
  OcellusClient,
} from '../../../../src/shared/api';
import { serializeError } from '../../../../src/shared/errors';
import { buildClient } from '../../../../src/shared/rpc';
import type { AppInfo, ProjectSummary } from '../../../../src/shared/types';
import { AppState } from '../../../../src/renderer/src/lib/state/app.svelte';
import { createStates, type States } from '../../../../src/renderer/src/lib/state/states';

/** A method's fake answer: a value, or a function of the call's arguments (may throw). */
export type Answer = unknown;
type Handler = (...args: unknown[]) => unknown;

/** One recorded call, e.g. `{ channel: 'labels.assign', args: [[1, 2], 3, {}] }`. */
export interface Call {
  channel: MethodChannel;
  args: unknown[];
}

export const PROJECT: ProjectSummary = {
  path: '/data/deer.ocellus',
  name: 'deer',
  labelMode: 'single',
  schemaVersion: 16,
  createdAt: '2026-01-01T00:00:00.000Z',
  createdWith: '0.1.0',
};

const INFO: AppInfo = {
  name: 'Ocellus',
  version: '0.1.0',
  platform: 'linux',
  host: 'web',
  defaultProjectDir: '/data',
  projectExtension: '.ocellus',
  capabilities: { nativeDialogs: false, revealInFolder: false },
};

/**
 * The API client the state classes talk to, built by the real `buildClient` over a fake
 * transport: every call is recorded and answered from a table; a call with no answer fails
 * like an unknown method would, so a test sees every call the state makes. Events are
 * pushed with `emit`.
 */
export class FakeApi {
  readonly calls: Call[] = [];
  readonly client: OcellusClient;
  readonly #answers = new Map<string, Handler>();
  readonly #listeners = new Map<string, Set<(payload: unknown) => void>>();
  readonly #waiters: { channel: string; resolve: (call: Call) => void }[] = [];

  constructor(answers: Record<string, Answer> = {}) {
    this.answer(answers);
    this.client = buildClient(
      async (channel, args) => {
        const call = { channel, args };
        this.calls.push(call);
        for (const w of this.#waiters.filter((x) => x.channel === channel)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(call);
        }
        const handler = this.#answers.get(channel);
        try {
          if (!handler) throw new Error(`The fake API has no answer for ${channel}`);
          return { ok: true, value: await handler(...args) };
        } catch (err) {
          return { ok: false, error: serializeError(err) };
        }
      },
      (event, listener) => {
        const set = this.#listeners.get(event) ?? new Set();
        set.add(listener as (payload: unknown) => void);
        this.#listeners.set(event, set);
        return () => set.delete(listener as (payload: unknown) => void);
      },
      (kind, id) => `/media/${kind}/${id}`,
    );
  }

  /** Sets answers: a function is called with the call's arguments, anything else returned. */
  answer(answers: Record<string, Answer>): void {
    for (const [channel, a] of Object.entries(answers)) {
      this.#answers.set(channel, typeof a === 'function' ? (a as Handler) : () => a);
    }
  }

  /** Pushes an event to every listener, as the main side would. */
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const fn of this.#listeners.get(event) ?? []) fn(payload);
  }

  /** Resolves at the next call of a method. */
  next(channel: MethodChannel): Promise<Call> {
    return new Promise((resolve) => this.#waiters.push({ channel, resolve }));
  }

  /** The recorded calls of one method. */
  callsOf(channel: MethodChannel): unknown[][] {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.args);
  }
}

/** A promise with its resolve function outside, to decide when a fake call returns. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Lets every pending promise callback run: the fake answers without timers, so what a call
 * or an event set in motion is done by the next task.
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Answers for what every state asks when the app starts with no project open. */
export const START_ANSWERS: Record<string, Answer> = {
  'app.info': INFO,
  'app.recentProjects': [],
  'project.current': null,
  'jobs.list': [],
  'ml.status': { backend: 'cpu' },
  // A project open at start loads its detection state: none has run.
  'detect.detectors': [],
  'detect.used': [],
};

/** Every state built around a fake client, started (the app's start() has returned). */
export async function startStates(answers: Record<string, Answer> = {}): Promise<{
  states: States;
  api: FakeApi;
}> {
  const api = new FakeApi({ ...START_ANSWERS, ...answers });
  const states = createStates(new AppState(() => api.client));
  await states.app.start();
  return { states, api };
}
