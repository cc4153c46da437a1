// Live events for views (WebSocket /hotpath/events): request started/finished with timings, traces changed.
import type { DaemonEvent } from "../api.js";

export type EventListener = (event: DaemonEvent) => void;

export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: DaemonEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // A failing subscriber (a closed socket) must not affect the request that published.
      }
    }
  }
}
