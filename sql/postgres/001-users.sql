-- Gatehouse users table, PostgreSQL. Applied by `migrate(db)` / `npx express-gatehouse migrate up`,
-- or by hand (it is idempotent). Times are milliseconds since the epoch.
CREATE TABLE IF NOT EXISTS gatehouse_users (
  id               text    COLLATE "C" PRIMARY KEY,
  email            text    NOT NULL,
  -- Compared byte for byte: "C" never lets "a" and "A", or "a" and "ä", collide.
  email_normalized text    COLLATE "C" NOT NULL,
  name             text,
  email_verified   boolean NOT NULL DEFAULT false,
  password_hash    text    NOT NULL,
  created_at       bigint  NOT NULL,
  updated_at       bigint  NOT NULL,
  -- A JSON object as text, kept opaque.
  attributes       text    NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX IF NOT EXISTS gatehouse_users_email_normalized ON gatehouse_users (email_normalized);
