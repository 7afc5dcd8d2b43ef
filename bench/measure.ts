import autocannon from "autocannon";

/** One load run: what to send and for how long. */
export interface MeasureOptions {
  /** Concurrent connections (each keeps one request in flight). @default 10 */
  connections?: number;
  /** Length of the measured run, in seconds. @default 5 */
  durationS?: number;
  /** A discarded run of this many seconds first (JIT, connection pools, Redis). @default 1 */
  warmupS?: number;
  /** @default "GET" */
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

/** Latency of the 2xx answers, in milliseconds (exact: taken per response, not from autocannon's whole-ms histogram). */
export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** What one run measured. Only 2xx answers count as throughput. */
export interface Measurement {
  kind: string;
  url: string;
  connections: number;
  /** Seconds the run actually took. */
  durationS: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** 2xx answers per second. */
  perSecond: number;
  latency: Latency;
  statusCodes: Record<string, number>;
  /** The 2xx latencies in ms, sorted: what {@link combine} merges. */
  samples: Float64Array;
  /** For a {@link combine}d measurement: the runs it was made of. */
  parts?: Measurement[];
}

/** More samples than any run here produces; a bound on memory if one ever runs away. */
const MAX_SAMPLES = 2_000_000;
/** How long past its duration a run may take before it is stopped. */
const GRACE_MS = 15_000;

/**
 * Loads `url` with autocannon and returns 2xx/s and exact latency percentiles. `kind` is a label
 * for the report (a server kind, "login", ...). Runs a discarded warm-up first unless `warmupS` is 0.
 */
export async function measure(kind: string, url: string, opts: MeasureOptions = {}): Promise<Measurement> {
  const { warmupS = 1 } = opts;
  if (warmupS > 0) await run(kind, url, { ...opts, durationS: warmupS });
  return run(kind, url, opts);
}

function run(kind: string, url: string, opts: MeasureOptions): Promise<Measurement> {
  const { connections = 10, durationS = 5, method = "GET", headers = {}, body } = opts;
  const samples: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: durationS, method, headers, body, title: kind }, (err, result) => {
      clearTimeout(watchdog);
      if (err) return reject(err);
      const statusCodes: Record<string, number> = {};
      for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
      const ok = result["2xx"];
      const sorted = Float64Array.from(samples);
      resolve({
        kind,
        url,
        connections,
        durationS: result.duration,
        ok,
        non2xx: result.non2xx,
        errors: result.errors,
        perSecond: ok / result.duration,
        latency: latencyOf(sorted),
        statusCodes,
        samples: sorted,
      });
    });
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status >= 200 && status < 300 && samples.length < MAX_SAMPLES) samples.push(ms);
    });
    const watchdog = setTimeout(() => instance.stop(), durationS * 1000 + GRACE_MS);
  });
}

/**
 * Runs that went on at the same time (one per server of a group) as one: 2xx/s and errors add up,
 * latency percentiles come from all their samples together, the duration is the longest run's.
 */
export function combine(kind: string, runs: readonly Measurement[]): Measurement {
  if (runs.length === 0) throw new Error("combine: no runs");
  const samples = new Float64Array(runs.reduce((n, m) => n + m.samples.length, 0));
  let at = 0;
  for (const m of runs) {
    samples.set(m.samples, at);
    at += m.samples.length;
  }
  const statusCodes: Record<string, number> = {};
  for (const m of runs) for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  const sum = (f: (m: Measurement) => number) => runs.reduce((n, m) => n + f(m), 0);
  return {
    kind,
    url: runs.map((m) => m.url).join(" + "),
    connections: sum((m) => m.connections),
    durationS: Math.max(...runs.map((m) => m.durationS)),
    ok: sum((m) => m.ok),
    non2xx: sum((m) => m.non2xx),
    errors: sum((m) => m.errors),
    perSecond: sum((m) => m.perSecond),
    latency: latencyOf(samples),
    statusCodes,
    samples,
    parts: [...runs],
  };
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

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
