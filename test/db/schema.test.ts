// src/db/schema.sql is the schema the migrations make, dumped: a migration added or changed
// without regenerating it fails here, so every schema change shows in review as a diff of that file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SCHEMA_FILE, dumpSchema, normalizeDump } from '../../scripts/dump-schema.js';

/** The committed file, or undefined when there is none. */
function committedSchema(): string | undefined {
  try {
    return readFileSync(SCHEMA_FILE, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The first line where two texts differ, for a message short enough to read. */
function firstDifference(committed: string, migrated: string): string {
  const a = committed.split('\n');
  const b = migrated.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i === -1 ? a.length : i;
  return `first difference at line ${at + 1}:\n  src/db/schema.sql: ${a[at] ?? '(end of file)'}\n  migrations give:   ${b[at] ?? '(end of file)'}`;
}

test('src/db/schema.sql is what the migrations make', async () => {
  const migrated = await dumpSchema();
  const committed = committedSchema();
  const regenerate = 'run `npm run schema` and commit src/db/schema.sql';
  assert.ok(committed !== undefined, `src/db/schema.sql is missing: ${regenerate}`);
  assert.ok(
    committed === migrated,
    `src/db/schema.sql is out of date with src/db/migrations: ${regenerate}.\n${firstDifference(committed, migrated)}`,
  );
});

test('the dump keeps the schema and drops only what differs between runs', () => {
  const banner = ['--', '-- PostgreSQL database dump', '--', ''];
  const schema = [
    'SET lock_timeout = 0;',
    'CREATE FUNCTION public.f() RETURNS trigger',
    '    LANGUAGE plpgsql',
    '    AS $$',
    'BEGIN',
    '  -- Dumped from a comment, indented: kept',
    '  RETURN NEW;',
    'END $$;',
  ];
  const dump = [
    ...banner,
    '\\restrict AbC123xyz',
    '',
    '-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)',
    '-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)',
    '',
    ...schema,
    '',
    '\\unrestrict AbC123xyz',
    '',
  ];
  assert.equal(normalizeDump(dump.join('\n')), [...banner, ...schema, ''].join('\n'));
});
