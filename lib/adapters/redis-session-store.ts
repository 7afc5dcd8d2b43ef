import { RedisStore } from "connect-redis";
import type { SessionData } from "express-session";
import type { SessionMeta } from "../types.js";
import { redisCall, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions } from "./redis-keys.js";

type Callback = (err?: unknown, data?: unknown) => void;
type WithMeta = SessionData & { gh?: SessionMeta };

/**
 * connect-redis on the app's ioredis client (Redis or Cluster), with three changes:
 * - every command has a deadline and failures become `AuthError("SERVICE_UNAVAILABLE")` (503);
 * - no `touch`: the expiry moves forward through a save when the session's `seenAt` has
 *   drifted by `touchAfter`, so a protected request costs one GET instead of GET + EXPIRE;
 * - a signed-in session that was stored once is only ever overwritten (`SET ... XX`), never
 *   re-created: a slow request that ends after logout or revocation cannot resurrect it.
 * Keys: `<keyPrefix>sess:<sessionId>` (redis-keys.ts), one key per command.
 */
export class RedisSessionStore extends RedisStore {
  private readonly redis: RedisClient;
  private readonly timeoutMs: number;
  private readonly ttlOf: (sess: SessionData) => number;

  /**
   * @param options - `keyPrefix` and `timeoutMs` (see {@link RedisAdapterOptions}), and `ttl`:
   *   the seconds a session may still live, from its data.
   * @throws TypeError on an invalid option.
   */
  constructor(redis: RedisClient, options: RedisAdapterOptions & { ttl: (sess: SessionData) => number }) {
    const { keys, timeoutMs: t } = resolveRedisOptions("RedisSessionStore", options);
    super({
      prefix: keys.sessionPrefix,
      ttl: options.ttl,
      disableTouch: true,
      client: {
        get: (key: string) => redisCall(redis.get(key), t),
        set: (key: string, value: string, ex: "EX", ttl: number) => redisCall(redis.set(key, value, ex, ttl), t),
        del: (keys: string[]) => redisCall(redis.del(...keys), t),
        expire: (key: string, ttl: number) => redisCall(redis.expire(key, ttl), t),
        mget: (keys: string[]) => redisCall(redis.mget(...keys), t),
        scan: (...args: [string, "MATCH", string, "COUNT", number]) => redisCall(redis.scan(...args), t),
      },
    });
    this.redis = redis;
    this.timeoutMs = t;
    this.ttlOf = options.ttl;
  }

  override async set(sid: string, sess: SessionData, cb?: Callback): Promise<void> {
    const meta = (sess as WithMeta).gh;
    if (!meta) return super.set(sid, sess, cb);
    const stored: WithMeta = { ...sess, gh: { ...meta, persisted: true } };
    if (!meta.persisted) return super.set(sid, stored, cb);
    const ttl = this.ttlOf(sess);
    if (ttl <= 0) return this.destroy(sid, cb);
    try {
      // XX: overwrite only. If the session was destroyed meanwhile, the write is dropped.
      await redisCall(this.redis.set(this.prefix + sid, JSON.stringify(stored), "EX", ttl, "XX"), this.timeoutMs);
      cb?.();
    } catch (err) {
      if (!cb) throw err;
      cb(err);
    }
  }
}
