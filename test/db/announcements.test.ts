// Issue 21 on PostgreSQL and PGlite: the real daily and monthly jobs against a fleet whose capacity
// the test sets, on a FakeClock. A target is announced once (streams: while it waits; Pub/Sub: until
// its window passes or a loss is reported), a subscriber's write spends the announcement, a tick
// admits no more than the room, SCHEDULER_MAX_PER_USER interleaves users, and the tick's queries
// read through the partial indexes (EXPLAIN).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Db } from '../../src/db/db.js';
import { readDailyInput, saveDailyOutcome, setDailyStatus } from '../../src/db/summaries.js';
import { createLogger } from '../../src/logger.js';
import type { JobMessage } from '../../src/messages.js';
import { createFleet } from '../../src/scheduler/admission.js';
import { DURABLE_HOLD_MS } from '../../src/scheduler/announce-window.js';
import { dailySummaryJob, monthlySummaryJob } from '../../src/scheduler/summary-jobs.js';
import { DAILY_FRESH, DAILY_LOST, DAILY_OVERDUE } from '../../src/db/sql/announce-daily.js';
import type { FleetCapacity } from '../../src/transport/inspector.js';
import { BACKENDS, insertUser, suiteDb } from '../helpers/db.js';
import { FakeClock } from '../helpers/fake-clock.js';

const LONG = 'あ'.repeat(1000);
const logger = createLogger({ level: 'silent' });
const INTERVAL = 60_000;
const job = dailySummaryJob({ intervalMs: INTERVAL, defaultTimezone: 'UTC', minChars: 1000 });
const monthJob = monthlySummaryJob({ intervalMs: INTERVAL, defaultTimezone: 'UTC', minChars: 1000 });

function world(db: Db, cap: Partial<FleetCapacity>, maxPerUser = 100) {
  const clock = new FakeClock('2024-04-10T00:00:00Z');
  const state: FleetCapacity = { via: 'pubsub', durable: false, room: 1000, ahead: 0, rate: 0, slots: 0, lostAgoMs: null, consumed: null, ...cap };
  const fleet = createFleet({ inspector: { capacity: async (hw) => ({ ...state, room: state.durable ? hw - state.ahead : state.room }) }, clock });
  const sent: JobMessage[] = [];
  const tick = async (j = job) => {
    const before = sent.length;
    const r = await j.run({ db, now: new Date(clock.now()), logger, fleet, maxPerUser, publish: async (m) => void sent.push(m) });
    assert.equal(r.published, sent.length - before);
    return sent.slice(before);
  };
  return { clock, state, sent, tick };
}

async function days(db: Db, user: string, from: number, n: number, month = '03'): Promise<string[]> {
  const dates = Array.from({ length: n }, (_, i) => `2024-${month}-${String(from + i).padStart(2, '0')}`);
  for (const d of dates) await db.query('INSERT INTO diaries (user_id, date, content) VALUES ($1, $2, $3)', [user, d, LONG]);
  return dates;
}

const dates = (ms: JobMessage[]) => ms.map((m) => (m.type === 'daily_summary' ? `${m.user_id.slice(0, 4)}:${m.date}` : '?'));

for (const backend of BACKENDS) {
  describe(`announcements on ${backend}`, () => {
    const db = suiteDb(backend);

    test('streams: a waiting target is not republished; a subscriber’s write spends the announcement', async () => {
      const user = await insertUser(db(), 'UTC');
      await days(db(), user, 1, 5);
      const w = world(db(), { via: 'streams', durable: true, ahead: 0 });
      assert.equal((await w.tick()).filter((m) => m.user_id === user).length, 5);
      await w.clock.advance(INTERVAL);
      assert.equal((await w.tick()).filter((m) => m.user_id === user).length, 0, 'all five still wait in the stream');
      // One is deferred back to queued, one done: only the queued one is due again.
      await setDailyStatus(db(), user, '2024-03-01', 'queued');
      const input = await readDailyInput(db(), user, '2024-03-02');
      assert.ok(input);
      await saveDailyOutcome(db(), user, '2024-03-02', input.version, { status: 'done', summary: 's', model: 'm', error: null });
      await w.clock.advance(INTERVAL);
      assert.deepEqual((await w.tick()).filter((m) => m.user_id === user).map((m) => m.type === 'daily_summary' && m.date), ['2024-03-01']);
      // A stream lost whole (say Redis without AOF) still converges, after the hold.
      await w.clock.advance(DURABLE_HOLD_MS);
      assert.equal((await w.tick()).filter((m) => m.user_id === user).length, 4, 'the four not done');
      await db().query('DELETE FROM diaries WHERE user_id = $1', [user]);
    });

    test('Pub/Sub: republished after the window, or at once when a subscriber reports a loss', async () => {
      const user = await insertUser(db(), 'UTC');
      await days(db(), user, 1, 4);
      const w = world(db(), { rate: 0.01, ahead: 0 }); // 100 s a job: windows of 200 s, 400 s, 600 s, 800 s
      assert.equal((await w.tick()).length, 4);
      await w.clock.advance(100_000);
      assert.equal((await w.tick()).length, 0, 'within every window');
      await w.clock.advance(150_000); // 250 s: the first window has passed
      assert.deepEqual((await w.tick()).map((m) => m.type === 'daily_summary' && m.date), ['2024-03-01']);
      // A subscriber dropped messages 10 s ago: whatever was announced before then goes again.
      w.state.lostAgoMs = 10_000;
      assert.equal((await w.tick()).length, 3, 'the three announced before the loss; not the one just republished');
      assert.equal((await w.tick()).length, 0, 'republished ones are announced after the loss');
      await db().query('DELETE FROM diaries WHERE user_id = $1', [user]);
    });

    test('admission: no more than the room; the rest waits in the database, oldest due first', async () => {
      const user = await insertUser(db(), 'UTC');
      const all = await days(db(), user, 1, 10);
      const w = world(db(), { via: 'streams', durable: true, ahead: 0 });
      w.state.ahead = 10_000 - 3; // high-water mark 10,000: room for 3
      const first = await w.tick();
      assert.deepEqual(first.map((m) => m.type === 'daily_summary' && m.date), all.slice(0, 3));
      w.state.ahead = 10_000;
      assert.equal((await w.tick()).length, 0, 'the stream is at its mark');
      w.state.ahead = 10_000 - 100;
      assert.deepEqual((await w.tick()).map((m) => m.type === 'daily_summary' && m.date), all.slice(3));
      await db().query('DELETE FROM diaries WHERE user_id = $1', [user]);
    });

    test('SCHEDULER_MAX_PER_USER: one user’s long backlog does not push another’s day back', async () => {
      const [a, b] = [await insertUser(db(), 'UTC'), await insertUser(db(), 'UTC')];
      const aDays = await days(db(), a, 1, 20);
      await days(db(), b, 25, 2);
      const w = world(db(), { room: 100 }, 3);
      const sent = (await w.tick()).filter((m) => m.user_id === a || m.user_id === b);
      const who = sent.map((m) => (m.user_id === a ? 'A' : 'B'));
      assert.deepEqual(who, ['A', 'B', 'A', 'B', 'A'], 'three of A, both of B, interleaved');
      assert.deepEqual(sent.filter((m) => m.user_id === a).map((m) => m.type === 'daily_summary' && m.date), aDays.slice(0, 3));
      assert.equal(dates(sent).length, 5);
      await db().query('DELETE FROM diaries WHERE user_id = ANY($1::uuid[])', [[a, b]]);
    });

    test('monthly: announced once too', async () => {
      const user = await insertUser(db(), 'UTC');
      await days(db(), user, 1, 1, '02');
      const input = await readDailyInput(db(), user, '2024-02-01');
      assert.ok(input);
      await saveDailyOutcome(db(), user, '2024-02-01', input.version, { status: 'done', summary: 's', model: 'm', error: null });
      const w = world(db(), { via: 'streams', durable: true });
      assert.equal((await w.tick(monthJob)).filter((m) => m.user_id === user).length, 1);
      assert.equal((await w.tick(monthJob)).filter((m) => m.user_id === user).length, 0);
      await db().query('DELETE FROM diaries WHERE user_id = $1', [user]);
    });

    if (backend === 'postgres') {
      test('EXPLAIN: each tick query reads one page through its partial index, with no sort of the backlog', async () => {
        await db().exec(`
          ALTER TABLE diaries DISABLE TRIGGER USER;
          INSERT INTO users (id, email, timezone)
            SELECT md5(i::text)::uuid, 'u' || i || '@example.com', 'UTC' FROM generate_series(1, 5000) i;
          INSERT INTO diaries (user_id, date, content)
            SELECT md5(i::text)::uuid, date '2024-01-01' + d, repeat('x', 1000)
              FROM generate_series(1, 5000) i, generate_series(0, 9) d;
          UPDATE diaries SET announced_at = '2024-04-01', announced_via = 'pubsub', reannounce_at = '2024-05-01'
           WHERE date < '2024-01-06';
          ALTER TABLE diaries ENABLE TRIGGER USER;
          ANALYZE diaries; ANALYZE users;`);
        const now = '2024-04-10T00:00:00Z';
        const plans = {
          fresh: [DAILY_FRESH, [1000, now, 'UTC', 1000, null, null], 'diaries_unannounced_idx'],
          overdue: [DAILY_OVERDUE, [1000, now, 'UTC', 1000], 'diaries_reannounce_idx'],
          lost: [DAILY_LOST, [1000, now, 'UTC', 1000, 'pubsub', '2024-03-01T00:00:00Z'], 'diaries_announced_idx'],
        } as const;
        for (const [name, [sql, params, index]] of Object.entries(plans)) {
          const rows = await db().query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
          const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
          assert.match(plan, new RegExp(`Index (Only )?Scan using ${index}`), `${name}:\n${plan}`);
          assert.doesNotMatch(plan, /Sort|Seq Scan on diaries/, `${name}:\n${plan}`);
        }
      });
    }
  });
}
