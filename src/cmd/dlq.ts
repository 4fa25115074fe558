// `diary-events dlq list | replay [id…|--all] | purge`: the dead-letter stream of the streams transport.
import { connectRedis, closeRedis } from '../transport/redis-connection.js';
import { keysFor } from '../transport/keys.js';
import { dlqList, dlqPurge, dlqReplay } from '../transport/streams-admin.js';
import { UsageError } from '../errors/usage-error.js';
import type { CommandContext } from './command.js';

export async function runDlq(ctx: CommandContext): Promise<number> {
  const [action, ...ids] = ctx.positionals;
  if (action !== 'list' && action !== 'replay' && action !== 'purge') {
    throw new UsageError('expected list, replay [id…|--all] or purge');
  }
  const client = await connectRedis({ url: ctx.config.redis.url, role: 'cli', logger: ctx.logger });
  const keys = keysFor(ctx.config.channel);
  try {
    if (action === 'list') {
      const limit = Number(typeof ctx.values.limit === 'string' ? ctx.values.limit : 100);
      const entries = await dlqList(client, keys, Number.isFinite(limit) && limit > 0 ? limit : 100);
      for (const e of entries) process.stdout.write(`${JSON.stringify(e)}\n`);
      if (entries.length === 0) process.stderr.write('no dead letters\n');
      return 0;
    }
    if (action === 'replay') {
      if (ids.length === 0 && ctx.values.all !== true) {
        throw new UsageError('replay needs entry ids or --all');
      }
      const n = await dlqReplay(client, keys, ctx.values.all === true ? 'all' : ids);
      process.stdout.write(`replayed ${n}\n`);
      return 0;
    }
    const n = await dlqPurge(client, keys);
    process.stdout.write(`purged ${n}\n`);
    return 0;
  } finally {
    await closeRedis(client);
  }
}
