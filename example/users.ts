import { migrate, SqlUserStore } from "express-gatehouse";

/**
 * DATABASE_URL=postgres://... (or mysql://..., sqlite:path): the example keeps its users in that
 * database, migrating the schema at start, while sessions, tokens and rate limits stay in Redis.
 * Unset: undefined (users in Redis, or in memory without Redis).
 */
export async function sqlUsers(): Promise<{ store: SqlUserStore; where: string } | undefined> {
  const url = process.env.DATABASE_URL;
  if (!url) return undefined;
  // The URL without its password, for the start-up line.
  const where = url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
  let store: SqlUserStore;
  try {
    store = SqlUserStore.fromUrl(url, { timeoutMs: 2000 });
    const applied = await migrate(store.db);
    if (applied.length > 0) console.log(`DATABASE_URL: applied ${applied.join(", ")}`);
  } catch (err) {
    console.error(`DATABASE_URL=${where}: the database cannot be used: ${(err as Error).message}`);
    process.exit(1);
  }
  return { store, where: `users in ${where}` };
}
