/**
 * The part of autocannon 9's API the benchmarks use (`@types/autocannon` is not installed).
 * See node_modules/autocannon/README.md for the full option list.
 */
declare module "autocannon" {
  namespace autocannon {
    interface Options {
      url: string;
      /** Concurrent connections. @default 10 */
      connections?: number;
      /** Seconds to run. @default 10 */
      duration?: number;
      /** Seconds before a request counts as timed out. @default 10 */
      timeout?: number;
      method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD";
      headers?: Record<string, string>;
      body?: string;
      title?: string;
      /** Sent in turn by each connection. */
      requests?: { method?: "GET" | "POST"; path: string; headers?: Record<string, string>; body?: string }[];
    }

    /** hdr-histogram-percentiles-obj; latency values are whole milliseconds. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p2_5: number;
      p50: number;
      p90: number;
      p97_5: number;
      p99: number;
    }

    interface Result {
      title?: string;
      url: string;
      /** Seconds the run actually took. */
      duration: number;
      connections: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      "2xx": number;
      "4xx": number;
      "5xx": number;
      requests: Histogram;
      latency: Histogram;
      statusCodeStats: Record<string, { count: number }>;
    }

    interface Instance {
      /** `responseTime` is in milliseconds, with sub-millisecond precision. */
      on(event: "response", listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): Instance;
      on(event: "reqError", listener: (error: Error) => void): Instance;
      stop(): void;
    }
  }

  function autocannon(opts: autocannon.Options, cb: (err: Error | null, result: autocannon.Result) => void): autocannon.Instance;

  export = autocannon;
}
