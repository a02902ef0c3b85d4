/**
 * Benchmark figures: one line each, `bench NAME VALUE UNIT`, so scripts can read them
 * (docs/architecture.md, "Benchmarks").
 */

export function report(name: string, value: number, unit: string): void {
  const v = Number.isInteger(value)
    ? String(value)
    : value >= 100
      ? value.toFixed(0)
      : value >= 10
        ? value.toFixed(1)
        : value.toFixed(3);
  console.log(`bench ${name} ${v} ${unit}`);
}

/** The p-th percentile (nearest rank) of the samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
