// `diary-events status`: the queue (through the transport's inspector), the fleet's figures and
// processes, last scheduler ticks, summaries by status.
import type { Config } from '../config.js';
import { lastTicks } from '../db/scheduler-ticks.js';
import { summaryCounts } from '../db/status.js';
import type { Logger } from '../logger.js';
import { openDatabase, openMessaging } from '../runtime.js';
import { fleetTotals } from '../transport/fleet.js';

export async function printStatus(config: Readonly<Config>, logger: Logger, json: boolean): Promise<number> {
  const messaging = await openMessaging(config, logger);
  try {
    const db = await openDatabase(config, logger);
    try {
      const queue = await messaging.inspector.status();
      const ticks = await lastTicks(db);
      const summaries = await summaryCounts(db);
      const members = await messaging.fleet.members();
      const report = { queue, fleet: { ...fleetTotals(members), members }, scheduler: ticks, summaries };
      if (json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }
      const lines: string[] = [];
      lines.push(`transport: ${queue.transport}`);
      for (const [k, v] of Object.entries(queue)) {
        if (k === 'transport' || v === null || (Array.isArray(v) && v.length === 0)) continue;
        lines.push(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
      }
      const { totals, perMinute, inFlight } = report.fleet;
      lines.push(`fleet: ${members.length} process(es), ${inFlight} job(s) in flight`);
      lines.push(`  totals:     processed=${totals.processed} failed=${totals.failed} rejected=${totals.rejected} shed=${totals.shed}`);
      lines.push(`  per minute: processed=${perMinute.processed} failed=${perMinute.failed} rejected=${perMinute.rejected} shed=${perMinute.shed}`);
      for (const m of members) {
        lines.push(
          `  ${m.role.padEnd(10)} ${m.host} pid=${m.pid} v${m.version} concurrency=${m.concurrency} in_flight=${m.inFlight} processed=${m.totals.processed} failed=${m.totals.failed} seen ${Math.round(m.ageMs / 1000)}s ago`,
        );
      }
      lines.push('scheduler (last tick per job):');
      if (ticks.length === 0) lines.push('  no tick yet');
      for (const t of ticks) {
        lines.push(`  ${t.job}: ${t.started_at.toISOString()} found=${t.found} published=${t.published} failed=${t.failed}`);
      }
      lines.push('summaries:');
      if (summaries.length === 0) lines.push('  none yet');
      for (const s of summaries) lines.push(`  ${s.kind.padEnd(8)} ${s.status.padEnd(11)} ${s.count}`);
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    } finally {
      await db.close();
    }
  } finally {
    await messaging.close();
  }
}
