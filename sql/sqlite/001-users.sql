-- Gatehouse users table, SQLite 3.35+. Applied by `migrate(db)` / `npx express-gatehouse migrate up`,
-- or by hand (it is idempotent). Times are milliseconds since the epoch.
CREATE TABLE IF NOT EXISTS gatehouse_users (
  id               TEXT    NOT NULL PRIMARY KEY,
  email            TEXT    NOT NULL,
  -- BINARY (SQLite's default) compares bytes: "a" and "A", or "a" and "ä", never collide.
  email_normalized TEXT    NOT NULL COLLATE BINARY,
  name             TEXT,
  email_verified   INTEGER NOT NULL DEFAULT 0,
  password_hash    TEXT    NOT NULL,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  -- A JSON object as text, kept opaque.
  attributes       TEXT    NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS gatehouse_users_email_normalized ON gatehouse_users (email_normalized);
