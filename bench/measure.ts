/** Statistics of the bench: percentiles of samples, medians and ranges of repetitions. */

export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles and the mean of the samples (sorted in place). */
export function latencyOf(samples: Float64Array): Latency {
  if (samples.length === 0) return { p50: NaN, p99: NaN, mean: NaN, max: NaN };
  samples.sort();
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.max(0, Math.ceil(q * samples.length) - 1))]!;
  let sum = 0;
  for (const v of samples) sum += v;
  return { p50: at(0.5), p99: at(0.99), mean: sum / samples.length, max: samples[samples.length - 1]! };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `median [min-max]` of repetitions. */
export function spread(values: readonly number[], fmt: (n: number) => string): string {
  return `${fmt(median(values))} [${fmt(Math.min(...values))}-${fmt(Math.max(...values))}]`;
}
