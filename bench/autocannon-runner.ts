/**
 * The fallback load generator when wrk is not installed: autocannon in a process of its own
 * (bench/load.ts pins it to the load core). argv[2] is a LoadSpec as JSON; prints one JSON line.
 */
import autocannon from "autocannon";
import type { LoadSpec } from "./load.js";
import { latencyOf } from "./measure.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
const samples: number[] = [];
const instance = autocannon(
  { url: spec.origin, connections: spec.connections, duration: spec.durationS, requests: [...spec.requests] },
  (err, result) => {
    if (err) throw err;
    const ok = result["2xx"];
    const l = latencyOf(Float64Array.from(samples));
    process.stdout.write(`${JSON.stringify({ ok, bad: result.non2xx, errors: result.errors, durationS: result.duration, perSecond: ok / result.duration, p50: l.p50, p99: l.p99, mean: l.mean, max: l.max })}\n`);
  },
);
instance.on("response", (_client, status, _bytes, ms) => {
  if (status >= 200 && status < 300 && samples.length < 2_000_000) samples.push(ms);
});
