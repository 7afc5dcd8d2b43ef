import { RedisStore } from "connect-redis";
import type { SessionData } from "express-session";
import type { SessionMeta } from "../types.js";
import { RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

type Callback = (err?: unknown, data?: unknown) => void;
type WithMeta = SessionData & { gh?: SessionMeta };

/**
 * connect-redis on the app's ioredis client (Redis or Cluster), with four changes:
 * - every command has a deadline and failures become `AuthError("SERVICE_UNAVAILABLE")` (503);
 * - no `touch`: the expiry moves forward through a save when the session's `seenAt` has
 *   drifted by `touchAfter`, so a protected request costs one GET instead of GET + EXPIRE;
 * - a signed-in session that was stored once is only ever overwritten (`SET ... XX`), never
 *   re-created: a slow request that ends after logout or revocation cannot resurrect it;
 * - a save of exactly what this request already wrote for that id is skipped: after a sign-in
 *   saves explicitly (so a failed write is a 503, not a 200 without a session), express-session
 *   saves the regenerated session once more at the end of the response.
 * `get`, `set` and `destroy` talk to Redis directly (one command each, no callback shims).
 * Keys: `<keyPrefix>sess:<sessionId>` (redis-keys.ts), one key per command.
 */
export class RedisSessionStore extends RedisStore {
  private readonly redis: RedisClient;
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;
  private readonly ttlOf: (sess: SessionData) => number;
  /** What was last written from a session object, and under which id. */
  private readonly written = new WeakMap<object, { sid: string; json: string }>();

  /**
   * @param options - `keyPrefix` and `timeoutMs` (see {@link RedisAdapterOptions}), and `ttl`:
   *   the seconds a session may still live, from its data.
   * @throws TypeError on an invalid option.
   */
  constructor(redis: RedisClient, options: RedisAdapterOptions & { ttl: (sess: SessionData) => number }) {
    const { keys, timeoutMs } = resolveRedisOptions("RedisSessionStore", options);
    const calls = new RedisCalls(redis, timeoutMs);
    super({
      prefix: keys.sessionPrefix,
      ttl: options.ttl,
      disableTouch: true,
      // What connect-redis itself still sends (all, ids, length, clear): under the deadline too.
      client: {
        get: (key: string) => calls.call(redis.get(key)),
        set: (key: string, value: string, ex: "EX", ttl: number) => calls.call(redis.set(key, value, ex, ttl)),
        del: (keys: string[]) => calls.call(redis.del(...keys)),
        expire: (key: string, ttl: number) => calls.call(redis.expire(key, ttl)),
        mget: (keys: string[]) => calls.call(redis.mget(...keys)),
        scan: (...args: [string, "MATCH", string, "COUNT", number]) => calls.call(redis.scan(...args)),
      },
    });
    this.redis = redis;
    this.keys = keys;
    this.calls = calls;
    this.ttlOf = options.ttl;
  }

  override async get(sid: string, cb?: (err: unknown, session?: SessionData | null) => void): Promise<unknown> {
    let data: SessionData | null;
    try {
      const raw = await this.calls.call(this.redis.get(this.keys.session(sid)));
      data = raw === null ? null : (JSON.parse(raw) as SessionData);
    } catch (err) {
      if (!cb) throw err;
      return cb(err);
    }
    return cb ? cb(null, data) : data;
  }

  override async set(sid: string, sess: SessionData, cb?: Callback): Promise<void> {
    try {
      await this.write(sid, sess);
    } catch (err) {
      if (!cb) throw err;
      return cb(err);
    }
    cb?.();
  }

  override async destroy(sid: string, cb?: Callback): Promise<void> {
    try {
      await this.calls.call(this.redis.del(this.keys.session(sid)));
    } catch (err) {
      if (!cb) throw err;
      return cb(err);
    }
    cb?.();
  }

  private async write(sid: string, sess: SessionData): Promise<void> {
    const meta = (sess as WithMeta).gh;
    const ttl = this.ttlOf(sess);
    if (ttl <= 0) return void (await this.calls.call(this.redis.del(this.keys.session(sid))));
    const stored: WithMeta = meta ? { ...sess, gh: { ...meta, persisted: true } } : sess;
    const json = JSON.stringify(stored);
    const last = this.written.get(sess);
    if (last && last.sid === sid && last.json === json) return;
    const key = this.keys.session(sid);
    // XX: a signed-in session written once is only overwritten; if it was destroyed meanwhile,
    // the write is dropped.
    if (meta?.persisted) await this.calls.call(this.redis.set(key, json, "EX", ttl, "XX"));
    else await this.calls.call(this.redis.set(key, json, "EX", ttl));
    this.written.set(sess, { sid, json });
  }
}
