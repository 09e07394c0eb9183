import type { TestContext } from "node:test";
import pg from "pg";

/**
 * A pool on the machine's PostgreSQL (127.0.0.1:5432, database `test`) for a test, ended
 * afterwards; `undefined` (and the test skipped, saying how to start it) when PostgreSQL is
 * not running on a developer's machine. In CI (`CI=true`) a missing PostgreSQL fails.
 */
export async function testPostgres(t: TestContext): Promise<pg.Pool | undefined> {
  const pool = new pg.Pool({
    host: "127.0.0.1",
    user: "postgres",
    database: "test",
    max: 2,
    connectionTimeoutMillis: 2_000,
  });
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end();
    if (process.env["CI"] === "true") throw error;
    t.skip(
      'PostgreSQL is not running on 127.0.0.1:5432: start it with `pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start`',
    );
    return undefined;
  }
  t.after(() => pool.end());
  return pool;
}
