import type { Admission } from "../ports/credential-store.js";
import { parseSessionId } from "../ports/session-store.js";
import type { SessionEntry, SessionLimits, SessionRead, SessionStore } from "../ports/session-store.js";
import { CREDENTIAL_LUA } from "./redis-credential-store.js";
import { lua, RedisCalls, type RedisClient } from "./redis-call.js";
import { resolveRedisOptions, type RedisAdapterOptions, type RedisKeys } from "./redis-keys.js";

/** The session's epoch and JSON, from its stored `<epoch> <json>`. */
const SESSION_LUA = `
local function rand(member)
  return string.match(member, ':(.+)$')
end
local function parse(v)
  if not v then return nil end
  local e, body = string.match(v, '^(%d+) (.*)$')
  if not e then return nil end
  return tonumber(e), body
end
`;

/**
 * The read of every signed-in request: the session and the user's record in one step. A session
 * of an older epoch, or of a deleted user, is deleted and reads as none.
 * KEYS: session, record. ARGV: now.
 */
const READ = lua(`${CREDENTIAL_LUA}${SESSION_LUA}
local e, body = parse(redis.call('GET', KEYS[1]))
if not e then return false end
local c = credential(KEYS[2], ARGV[1])
if c.stuck then return {'pending'} end
if not current(c, e) or not c.user then
  redis.call('DEL', KEYS[1])
  return false
end
return {'live', body, c.user}`);

/**
 * Compare-and-create: the session begins stamped with the current epoch only if the record
 * admits the sign-in; the user's ended index entries go, and beyond the cap the oldest sessions end.
 * KEYS: session, record, index. ARGV: now, body, ttl, pwd, user, at, member, deadline, max, index ttl, session key base.
 */
const CREATE = lua(`${CREDENTIAL_LUA}${SESSION_LUA}
local c = credential(KEYS[2], ARGV[1])
local verdict = admit(KEYS[2], c, ARGV[4], ARGV[5], ARGV[6])
if verdict ~= 'ok' then return verdict end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[1])
local over = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[9]) + 1
if over > 0 then
  -- Entries of sessions that already ended (signed out, revoked, timed out) go first.
  for _, m in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    local key = rand(m) and ARGV[11] .. rand(m)
    local e = key and parse(redis.call('GET', key))
    if not current(c, e) then
      if key then redis.call('DEL', key) end
      redis.call('ZREM', KEYS[3], m)
      over = over - 1
    end
  end
end
if over > 0 then
  local oldest = redis.call('ZRANGE', KEYS[3], 0, over - 1)
  for _, m in ipairs(oldest) do
    if rand(m) then redis.call('DEL', ARGV[11] .. rand(m)) end
  end
  redis.call('ZREM', KEYS[3], unpack(oldest))
end
redis.call('SET', KEYS[1], c.epoch .. ' ' .. ARGV[2], 'EX', ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[8], ARGV[7])
redis.call('EXPIRE', KEYS[3], ARGV[10])
return 'created'`);

/**
 * Overwrites a session that is still live in the current epoch; anything else is dropped (a slow
 * request that ends after a logout or a revocation cannot bring the session back).
 * KEYS: session, record. ARGV: body, ttl, 0 (a write does not settle stuck changes).
 */
const WRITE = lua(`${CREDENTIAL_LUA}${SESSION_LUA}
local e = parse(redis.call('GET', KEYS[1]))
if not e then return 0 end
local c = credential(KEYS[2], ARGV[3])
if not current(c, e) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], e .. ' ' .. ARGV[1], 'EX', ARGV[2])
return 1`);

/**
 * Rotation in one step: the new id is indexed under the same handle in the step the old one
 * dies, so "revoke one" and "revoke all" never miss a rotating session.
 * KEYS: old session, new session, record, index. ARGV: body, ttl, handle, old rand, new rand, now.
 */
const ROTATE = lua(`${CREDENTIAL_LUA}${SESSION_LUA}
local e = parse(redis.call('GET', KEYS[1]))
if not e then return 0 end
redis.call('DEL', KEYS[1])
local old = ARGV[3] .. ':' .. ARGV[4]
local deadline = redis.call('ZSCORE', KEYS[4], old)
redis.call('ZREM', KEYS[4], old)
local c = credential(KEYS[3], ARGV[6])
if not current(c, e) or not deadline then return 0 end
redis.call('SET', KEYS[2], e .. ' ' .. ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[4], deadline, ARGV[3] .. ':' .. ARGV[5])
return 1`);

/**
 * The user's live sessions: `{member, body, ...}`; ended entries leave the index.
 * KEYS: index, record. ARGV: now, session key base.
 */
const LIST = lua(`${CREDENTIAL_LUA}${SESSION_LUA}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local c = credential(KEYS[2], ARGV[1])
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local e, body
  if rand(m) then e, body = parse(redis.call('GET', ARGV[2] .. rand(m))) end
  if current(c, e) then
    table.insert(out, m)
    table.insert(out, body)
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out`);

/** Ends the session listed under a handle. KEYS: index. ARGV: handle, session key base. */
const REVOKE = lua(`
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local handle, rand = string.match(m, '^(.+):(.+)$')
  if handle and handle == ARGV[1] then
    redis.call('ZREM', KEYS[1], m)
    return redis.call('DEL', ARGV[2] .. rand)
  end
end
return 0`);

/**
 * Sessions in Redis (see redis-keys.ts for the keys): a signed-in session is a STRING
 * `<prefix>{u:<userId>}:sess:<rand>` holding `<epoch> <json>`, listed in the user's ZSET
 * `<prefix>{u:<userId>}:sessions` as `<handle>:<rand>`, scored by its absolute deadline. Every
 * script touches keys of that one slot, so each is atomic on a single Redis and on a Cluster.
 * A protected request costs one script call (EVALSHA): the session and the user's record.
 */
export class RedisSessionStore implements SessionStore {
  private readonly keys: RedisKeys;
  private readonly calls: RedisCalls;

  constructor(redis: RedisClient, options: RedisAdapterOptions = {}) {
    const { keys, timeoutMs } = resolveRedisOptions("RedisSessionStore", options);
    this.keys = keys;
    this.calls = new RedisCalls(redis, timeoutMs);
  }

  async read(sessionId: string, now: number): Promise<SessionRead> {
    const owned = parseSessionId(sessionId);
    if (!owned) return { status: "none" };
    const reply = (await this.calls.script(READ, [this.keys.userSessionBase(owned.userId) + owned.rand, this.keys.credential(owned.userId)], [now])) as string[] | null;
    if (!reply) return { status: "none" };
    if (reply[0] === "pending") return { status: "pending" };
    return { status: "live", body: reply[1]!, user: reply[2]! };
  }

  async create(sessionId: string, body: string, admission: Admission, entry: SessionEntry, limits: SessionLimits, now: number): Promise<"created" | "refused" | "pending"> {
    const { userId, rand } = owner(sessionId);
    return (await this.calls.script(
      CREATE,
      [this.keys.sessionOf(sessionId), this.keys.credential(userId), this.keys.sessionIndex(userId)],
      [now, body, limits.ttl, admission.pwd, admission.user.json, admission.user.at, `${entry.handle}:${rand}`, entry.deadline, limits.maxPerUser, limits.indexTtl, this.keys.userSessionBase(userId)],
    )) as "created" | "refused" | "pending";
  }

  async write(sessionId: string, body: string, ttl: number): Promise<boolean> {
    const { userId } = owner(sessionId);
    return (await this.calls.script(WRITE, [this.keys.sessionOf(sessionId), this.keys.credential(userId)], [body, ttl, 0])) === 1;
  }

  async rotate(oldId: string, newId: string, body: string, handle: string, ttl: number): Promise<boolean> {
    const old = owner(oldId);
    const next = owner(newId);
    if (old.userId !== next.userId) throw new TypeError("RedisSessionStore.rotate: a session moves within its user");
    const keys = [this.keys.sessionOf(oldId), this.keys.sessionOf(newId), this.keys.credential(old.userId), this.keys.sessionIndex(old.userId)];
    return (await this.calls.script(ROTATE, keys, [body, ttl, handle, old.rand, next.rand, 0])) === 1;
  }

  async destroy(sessionId: string): Promise<void> {
    await this.calls.call(this.calls.redis.del(this.keys.sessionOf(sessionId)));
  }

  async list(userId: string, now: number): Promise<{ sessionId: string; body: string }[]> {
    const reply = (await this.calls.script(LIST, [this.keys.sessionIndex(userId), this.keys.credential(userId)], [now, this.keys.userSessionBase(userId)])) as string[];
    const out: { sessionId: string; body: string }[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push({ sessionId: `${userId}.${reply[i]!.slice(reply[i]!.indexOf(":") + 1)}`, body: reply[i + 1]! });
    return out;
  }

  async revoke(userId: string, handle: string): Promise<boolean> {
    return (await this.calls.script(REVOKE, [this.keys.sessionIndex(userId)], [handle, this.keys.userSessionBase(userId)])) === 1;
  }

  readPlain(sessionId: string): Promise<string | null> {
    return this.calls.call(this.calls.redis.get(this.keys.session(sessionId)));
  }

  async writePlain(sessionId: string, body: string, ttl: number): Promise<void> {
    await this.calls.call(this.calls.redis.set(this.keys.session(sessionId), body, "EX", ttl));
  }
}

function owner(sessionId: string): { userId: string; rand: string } {
  const owned = parseSessionId(sessionId);
  if (!owned) throw new TypeError("RedisSessionStore: not a signed-in session id");
  return owned;
}
