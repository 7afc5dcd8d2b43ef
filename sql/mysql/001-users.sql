-- Gatehouse users table, MySQL 8 / MariaDB 10.5+. Applied by `migrate(db)` /
-- `npx express-gatehouse migrate up`, or by hand (it is idempotent). Times are milliseconds since the epoch.
CREATE TABLE IF NOT EXISTS gatehouse_users (
  -- ascii_bin: ids are case-sensitive (base64url), never folded.
  id               VARCHAR(64)  CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  email            VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  -- utf8mb4_bin compares code points: "a" and "A", or "a" and "ä", never collide.
  email_normalized VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  name             TEXT         CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  email_verified   TINYINT(1)   NOT NULL DEFAULT 0,
  password_hash    TEXT         CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  created_at       BIGINT       NOT NULL,
  updated_at       BIGINT       NOT NULL,
  -- A JSON object as text, kept opaque (NULL reads as {}).
  attributes       LONGTEXT     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  PRIMARY KEY (id),
  UNIQUE KEY gatehouse_users_email_normalized (email_normalized)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
