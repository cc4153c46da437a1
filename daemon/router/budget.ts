// Daily spend per route (UTC days), persisted in the one SQLite file so a restart does not reset a budget.
import { applyMigrations, type Db, sqlMigration } from "../db.js";

/** This module's tables, created when its store first opens a database. */
const TABLES = sqlMigration(
  "router:1-spend",
  `CREATE TABLE router_spend (
      day TEXT NOT NULL,      -- UTC date, YYYY-MM-DD
      route TEXT NOT NULL,
      usd REAL NOT NULL,
      calls INTEGER NOT NULL,
      PRIMARY KEY (day, route)
    )`,
);

export class BudgetExceeded extends Error {
  constructor(
    readonly route: string,
    readonly limitUsd: number,
    readonly spentUsd: number,
  ) {
    super(
      `the daily budget of $${limitUsd.toFixed(2)} for route ${route} is spent ($${spentUsd.toFixed(4)} today); ` +
        `it resets at 00:00 UTC — raise router.routes["${route}"].dailyBudgetUsd to continue today`,
    );
  }
}

export function utcDay(ms = Date.now()): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class Spend {
  private readonly memory = new Map<string, number>();
  private readonly addStmt;
  private readonly getStmt;
  private readonly listStmt;

  constructor(
    db: Db | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (db) applyMigrations(db, [TABLES]);
    this.addStmt = db?.prepare(
      `INSERT INTO router_spend (day, route, usd, calls) VALUES (?, ?, ?, 1)
       ON CONFLICT (day, route) DO UPDATE SET usd = usd + excluded.usd, calls = calls + 1`,
    );
    this.getStmt = db?.prepare(`SELECT usd FROM router_spend WHERE day = ? AND route = ?`);
    this.listStmt = db?.prepare(`SELECT route FROM router_spend WHERE day = ?`);
  }

  spentToday(route: string): number {
    const day = utcDay(this.now());
    const key = `${day} ${route}`;
    let v = this.memory.get(key);
    if (v === undefined) {
      v = (this.getStmt?.get(day, route) as { usd: number } | undefined)?.usd ?? 0;
      this.memory.set(key, v);
    }
    return v;
  }

  add(route: string, usd: number): void {
    if (!(usd > 0)) return;
    const day = utcDay(this.now());
    this.memory.set(`${day} ${route}`, this.spentToday(route) + usd);
    this.addStmt?.run(day, route, usd);
  }

  /** Routes with spend recorded today. */
  routesToday(): string[] {
    const day = utcDay(this.now());
    const routes = new Set<string>();
    for (const key of this.memory.keys()) if (key.startsWith(`${day} `)) routes.add(key.slice(day.length + 1));
    for (const r of (this.listStmt?.all(day) as { route: string }[] | undefined) ?? []) routes.add(r.route);
    return [...routes];
  }

  /** Throws BudgetExceeded when the route's budget for today is used up. */
  check(route: string, limitUsd: number | undefined): void {
    if (limitUsd === undefined) return;
    const spent = this.spentToday(route);
    if (spent >= limitUsd) throw new BudgetExceeded(route, limitUsd, spent);
  }
}
