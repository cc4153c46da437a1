// Circuit breaker per route: after N consecutive failures the route is skipped for a cooldown, then one trial
// request is let through (half-open); its success closes the circuit, its failure opens it again.

export type CircuitState = "closed" | "open" | "half-open";

interface Circuit {
  failures: number;
  openedAt?: number;
  trialInFlight: boolean;
}

export class Breakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private settings: { failureThreshold: number; cooldownMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  configure(settings: { failureThreshold: number; cooldownMs: number }): void {
    this.settings = settings;
  }

  state(route: string): CircuitState {
    const c = this.circuits.get(route);
    if (!c || c.openedAt === undefined) return "closed";
    return this.now() - c.openedAt >= this.settings.cooldownMs ? "half-open" : "open";
  }

  /** Whether a request may use the route now; in half-open state only one trial at a time is allowed. */
  allow(route: string): boolean {
    const state = this.state(route);
    if (state === "closed") return true;
    if (state === "open") return false;
    const c = this.circuits.get(route)!;
    if (c.trialInFlight) return false;
    c.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open circuit lets a trial through. */
  retryInMs(route: string): number {
    const c = this.circuits.get(route);
    if (!c?.openedAt) return 0;
    return Math.max(0, this.settings.cooldownMs - (this.now() - c.openedAt));
  }

  success(route: string): void {
    this.circuits.delete(route);
  }

  failure(route: string): void {
    const c = this.circuits.get(route) ?? { failures: 0, trialInFlight: false };
    c.failures++;
    c.trialInFlight = false;
    if (c.openedAt !== undefined || c.failures >= this.settings.failureThreshold) c.openedAt = this.now();
    this.circuits.set(route, c);
  }

  /** A trial that ended without a verdict (client cancelled) frees the half-open slot. */
  release(route: string): void {
    const c = this.circuits.get(route);
    if (c) c.trialInFlight = false;
  }
}
