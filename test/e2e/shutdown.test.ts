// SIGTERM ends every long-running process within a bound and with exit 0 when Redis or PostgreSQL
// cannot be reached — the worst case, where connections stay open and nothing answers (a proxy
// made to hang), with a job in flight for the subscriber. BullMQ users' top complaint is a
// close() that hangs; here the bound is SHUTDOWN_GRACE_MS for running jobs plus a few seconds for
// the connections.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SHUTDOWN_GRACE_MS } from '../../src/cmd/lifecycle.js';
import { eventually } from '../helpers/cli.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { createWorld, type TransportKind, type World } from './fixture.js';

/** Grace for jobs, the connection closes (bounded at a few seconds), and a loaded machine's slack. */
const BOUND_MS = SHUTDOWN_GRACE_MS + 10_000;
const OUTAGES = ['redis', 'database'] as const;

for (const transport of ['pubsub', 'streams'] as TransportKind[]) {
  describe(`SIGTERM with a dependency unreachable (${transport})`, () => {
    let w: World;
    let redisProxy: TcpProxy;
    let dbProxy: TcpProxy;
    let env: Record<string, string>;
    before(async () => {
      w = await createWorld(transport);
    });
    after(async () => {
      await w.close();
    });

    async function withProxies(fn: () => Promise<void>): Promise<void> {
      redisProxy = await startTcpProxy('127.0.0.1', w.redis.port);
      const db = new URL(w.dbUrl);
      dbProxy = await startTcpProxy(db.hostname, Number(db.port || 5432));
      db.port = String(dbProxy.port);
      env = { REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`, DATABASE_URL: db.toString() };
      try {
        await fn();
      } finally {
        await redisProxy.close();
        await dbProxy.close();
      }
    }

    async function stopWithin(p: ReturnType<World['spawn']>): Promise<void> {
      const started = Date.now();
      const code = await Promise.race([p.stop('SIGTERM'), new Promise((r) => setTimeout(() => r('still running'), BOUND_MS))]);
      const ms = Date.now() - started;
      if (code === 'still running') p.proc.kill('SIGKILL');
      assert.equal(code, 0, `exit code (after ${ms} ms); last logs: ${JSON.stringify(p.logs.slice(-12).map((l) => `${String(l.time).slice(17)} ${String(l.msg)} ${String(l.err ?? "")}`))}`);
    }

    for (const outage of OUTAGES) {
      test(`subscriber with a job in flight, ${outage} hanging`, async () => {
        await withProxies(async () => {
          const { userId, dates } = await w.seed(1);
          w.llm.script({ type: 'ok', latencyMs: 1500 });
          const sub = w.spawn(['subscriber'], env);
          await sub.waitForLog((l) => l.msg === 'subscriber listening');
          const calls = w.llm.requests.length;
          await w.publishRaw(JSON.stringify({ type: 'daily_summary', user_id: userId, date: dates[0] }));
          await eventually(async () => w.llm.requests.length > calls, 10_000, 'the job reached the LLM');
          (outage === 'redis' ? redisProxy : dbProxy).hang();
          await stopWithin(sub);
        });
      });

      test(`scheduler, ${outage} hanging`, async () => {
        await withProxies(async () => {
          await w.seed(3);
          const s = w.spawn(['scheduler'], { ...env, SCHEDULER_INTERVAL: '1s' });
          await s.waitForLog((l) => l.msg === 'tick done');
          (outage === 'redis' ? redisProxy : dbProxy).hang();
          await new Promise((r) => setTimeout(r, 1500)); // a tick now meets the outage
          await stopWithin(s);
        });
      });
    }

    if (transport === 'pubsub') {
      for (const outage of OUTAGES) {
        test(`server, ${outage} hanging`, async () => {
          await withProxies(async () => {
            const s = w.spawn(['server'], { ...env, PORT: '0', JWT_SECRET: 'shutdown-test-jwt-secret-0123456789abcdef' });
            await s.waitForLog((l) => l.msg === 'server listening');
            (outage === 'redis' ? redisProxy : dbProxy).hang();
            await stopWithin(s);
          });
        });
      }
    }
  });
}
