// Throwaway databases for tests: a fresh PostgreSQL database per call (dropped afterwards) or an
// in-memory PGlite, both migrated, so one suite can run on both backends.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import pg from 'pg';
import { openDb, type Db, type Queryable } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  /** Connection string (PostgreSQL only) for spawned processes. */
  url: string | undefined;
  drop(): Promise<void>;
}

export type Backend = 'postgres' | 'pglite';
export const BACKENDS: readonly Backend[] = ['postgres', 'pglite'];

/**
 * Creates an empty database named diary_test_<random> and returns its URL. `template0` gives one
 * without whatever the server's template1 was given (the schema dump wants only our objects).
 */
export async function createPostgresDatabase(
  options: { template?: 'template0' | 'template1' } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `diary_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${options.template ?? 'template1'}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openTestDb(backend: Backend, options: { migrate?: boolean } = {}): Promise<TestDb> {
  if (backend === 'pglite') {
    const db = await openDb({ dataDir: 'memory://', databaseUrl: undefined });
    if (options.migrate !== false) await migrate(db);
    return { db, url: undefined, drop: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = await openDb({ databaseUrl: created.url, dataDir: '' });
  if (options.migrate !== false) await migrate(db);
  return {
    db,
    url: created.url,
    drop: async () => {
      await db.close();
      await created.drop();
    },
  };
}

/** Inserts a user (a random email unless given) and returns its id. */
export async function insertUser(db: Queryable, timezone: string | null = null, email?: string): Promise<string> {
  const [row] = await db.query<{ id: string }>('INSERT INTO users (email, timezone) VALUES ($1, $2) RETURNING id::text', [
    email ?? `${Math.random().toString(36).slice(2)}@example.com`,
    timezone,
  ]);
  return (row as { id: string }).id;
}

/**
 * A migrated throwaway database for the enclosing describe(): opened before its tests, dropped
 * after them. Call the returned function inside a test for the Db.
 */
export function suiteDb(backend: Backend): () => Db {
  let t: TestDb | undefined;
  before(async () => {
    t = await openTestDb(backend);
  });
  after(async () => {
    await t?.drop();
  });
  return () => {
    if (!t) throw new Error('the suite database is not open yet');
    return t.db;
  };
}
