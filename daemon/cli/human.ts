// Byte sizes as people read them in terminal output (durations: traces/analysis/duration.ts).

/** 512 B, 19.3 MB, 1.2 GB (decimal units, as file managers show them). */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}
