// Durations as a person reads them: "340 ms", "12.5 s", "3 min 12 s", "1 h 23 min".
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const neg = ms < 0 ? "−" : "";
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${Math.round(a)} ms`;
  if (a < 10_000) return `${neg}${(Math.round(a / 100) / 10).toFixed(1)} s`;
  if (a < 60_000) return `${neg}${Math.round(a / 1000)} s`;
  if (a < 3_600_000) {
    const total = Math.round(a / 1000);
    const s = total % 60;
    return `${neg}${Math.floor(total / 60)} min${s ? ` ${s} s` : ""}`;
  }
  const totalMin = Math.round(a / 60_000);
  const m = totalMin % 60;
  return `${neg}${Math.floor(totalMin / 60)} h${m ? ` ${m} min` : ""}`;
}
