// Live events for views (WebSocket /hotpath/events): request started/finished with timings, traces changed.
import type { DaemonEvent } from "../api.js";

export type EventListener = (event: DaemonEvent) => void;

/** How long a subscriber told to close (a WebSocket's closing handshake) may take before it is cut. */
export const CLOSE_GRACE_MS = 2_000;

export class EventHub {
  private readonly listeners = new Map<EventListener, (() => void) | undefined>();

  /** `onClose`: the daemon is stopping; end the connection (a stopping HTTP server waits for every open socket). */
  subscribe(listener: EventListener, onClose?: () => void): () => void {
    this.listeners.set(listener, onClose);
    return () => this.listeners.delete(listener);
  }

  publish(event: DaemonEvent): void {
    for (const l of this.listeners.keys()) {
      try {
        l(event);
      } catch {
        // A failing subscriber (a closed socket) must not affect the request that published.
      }
    }
  }

  /** Shutdown: every subscriber is told to close and forgotten. */
  close(): void {
    const closing = [...this.listeners.values()];
    this.listeners.clear();
    for (const onClose of closing) {
      try {
        onClose?.();
      } catch {
        // Closing one socket must not keep the others open.
      }
    }
  }
}
