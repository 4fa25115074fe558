// The one database seam: the same SQL runs on PostgreSQL (`pg`) and on embedded PGlite.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { privateDataDir, privateTree } from '../data-dir.js';
import { settledWithin } from '../timeout.js';
import { lockPglite } from './pglite-lock.js';

/** How long close() waits for connections busy with a query. */
const CLOSE_TIMEOUT_MS = 2000;

export interface QueryOptions {
  /**
   * Plan the statement once per connection and reuse the plan (a named prepared statement on
   * PostgreSQL; PGlite ignores it). Planning was about half of a job statement's time. Only for a
   * hot statement whose text is fixed: every distinct text becomes a prepared statement on each
   * pooled connection, and its plan may become generic (fine for key lookups, not for the
   * scheduler's range queries).
   */
  prepared?: boolean;
}

/** What query code needs from a connection or a transaction. */
export interface Queryable {
  /** One parameterised statement; rows come back as plain objects. */
  query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<R[]>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// DATE stays a 'YYYY-MM-DD' string: a JS Date would shift it by the process's time zone.
const DATE_OID = 1082;
const INT8_OID = 20;
pg.types.setTypeParser(DATE_OID, (v: string) => v);
pg.types.setTypeParser(INT8_OID, (v: string) => Number(v));

export interface OpenDbOptions {
  /** PostgreSQL connection string; when absent the embedded PGlite under `dataDir` is used. */
  databaseUrl?: string | undefined;
  /** Directory of the embedded database; `memory://` keeps it in memory (tests). */
  dataDir: string;
  /** Pool size for PostgreSQL. @defaultValue 10 */
  poolSize?: number;
}

export async function openDb(options: OpenDbOptions): Promise<Db> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolSize ?? 10)
    : openPglite(options.dataDir);
}

const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `de_${createHash('sha1').update(sql).digest('hex').slice(0, 24)}`;
    statementNames.set(sql, name);
  }
  return name;
}

async function openPostgres(url: string, max: number): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  const wrap = (c: pg.Pool | pg.PoolClient): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[], options?: QueryOptions) {
      const values = params as unknown[] | undefined;
      const res = await (options?.prepared ? c.query({ text: sql, values, name: statementName(sql) }) : c.query(sql, values));
      return res.rows as R[];
    },
    async exec(sql: string) {
      await c.query(sql);
    },
  });
  const db: Db = {
    kind: 'postgres',
    ...wrap(pool),
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    // Bounded: a query stuck on a vanished server keeps its client checked out, and end() would
    // wait for it; the sockets left behind close with the process.
    close: async () => {
      await settledWithin(pool.end(), CLOSE_TIMEOUT_MS);
    },
  };
  return db;
}

async function openPglite(dataDir: string): Promise<Db> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) privateDataDir(dataDir); // plaintext diaries: 0700, files 0600 (WAL included)
  const unlock = inMemory ? () => {} : lockPglite(dataDir);
  let lite: PGlite;
  try {
    lite = await PGlite.create(dataDir, {
      parsers: { [pgliteTypes.DATE]: (v: string) => v, [pgliteTypes.INT8]: (v: string) => Number(v) },
    });
  } catch (err) {
    unlock();
    throw err;
  }
  if (!inMemory) privateTree(dataDir);
  type LiteTx = Parameters<Parameters<PGlite['transaction']>[0]>[0];
  const wrap = (c: PGlite | LiteTx): Queryable => ({
    async query<R>(sql: string, params?: readonly unknown[]) {
      const res = await c.query<R>(sql, params as unknown[] | undefined);
      return res.rows;
    },
    async exec(sql: string) {
      await c.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(lite),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => lite.transaction((tx) => fn(wrap(tx))),
    async close() {
      await lite.close();
      unlock();
    },
  };
}
