import type { ApiEvents, EventName } from '../../../shared/api';

type Listener<E extends EventName> = (payload: ApiEvents[E]) => void;

/** A typed publish/subscribe hub for the contract's events; transports subscribe to it. */
export class EventBus {
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  /** Subscribes; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** Delivers to every listener; one failing listener does not stop the others. */
  emit<E extends EventName>(event: E, payload: ApiEvents[E]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<E>)(payload);
      } catch (err) {
        console.error(`listener for ${event} failed:`, err);
      }
    }
  }
}
