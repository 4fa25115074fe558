// `diary-events dlq list | replay [id…|--all] | purge`: the dead letters, through the transport's
// inspector (a transport that keeps none says so, with exit 2).
import { UsageError } from '../errors/usage-error.js';
import { openMessaging } from '../runtime.js';
import { NoDeadLettersError } from '../transport/inspector.js';
import type { CommandContext } from './command.js';

export async function runDlq(ctx: CommandContext): Promise<number> {
  const [action, ...ids] = ctx.positionals;
  if (action !== 'list' && action !== 'replay' && action !== 'purge') {
    throw new UsageError('expected list, replay [id…|--all] or purge');
  }
  if (action === 'replay' && ids.length === 0 && ctx.values.all !== true) throw new UsageError('replay needs entry ids or --all');
  const messaging = await openMessaging(ctx.config, ctx.logger);
  try {
    let dead;
    try {
      dead = messaging.inspector.deadLetters();
    } catch (err) {
      if (err instanceof NoDeadLettersError) throw new UsageError(err.message);
      throw err;
    }
    if (action === 'list') {
      const limit = Number(typeof ctx.values.limit === 'string' ? ctx.values.limit : 100);
      const entries = await dead.list(Number.isFinite(limit) && limit > 0 ? limit : 100);
      for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
      if (entries.length === 0) process.stderr.write('no dead letters\n');
      return 0;
    }
    if (action === 'replay') {
      process.stdout.write(`replayed ${await dead.replay(ctx.values.all === true ? 'all' : ids)}\n`);
      return 0;
    }
    process.stdout.write(`purged ${await dead.purge()}\n`);
    return 0;
  } finally {
    await messaging.close();
  }
}
