// `diary-events token --user <uuid> [--admin] [--ttl 7d]`: mints a bearer token for development,
// signed with JWT_SECRET (or, as `all` does, DATA_DIR/jwt-secret when JWT_SECRET is unset).
// It does not open the database: the embedded PGlite belongs to the running `all` process, and
// the server checks on every call that the account exists (and, for --admin, is an admin).
import { UUID_RE } from '../messages.js';
import { UsageError } from '../errors/usage-error.js';
import { existingJwtSecret } from '../server/jwt-secret.js';
import { MAX_TOKEN_AGE_SECONDS, mintToken } from '../server/tokens.js';
import type { CommandContext } from './command.js';


/** "30m", "12h", "30d" → seconds. */
function ttlSeconds(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) throw new UsageError('--ttl must look like 30m, 12h or 30d');
  const seconds = Number(m[1]) * { m: 60, h: 3600, d: 86_400 }[m[2] as 'm' | 'h' | 'd'];
  // The server refuses tokens older than MAX_TOKEN_AGE_SECONDS, so a longer one would stop working early.
  if (seconds < 60 || seconds > MAX_TOKEN_AGE_SECONDS) throw new UsageError(`--ttl must be between 1m and ${MAX_TOKEN_AGE_SECONDS / 86_400}d`);
  return seconds;
}

export async function runToken(ctx: CommandContext): Promise<number> {
  const user = typeof ctx.values.user === 'string' ? ctx.values.user : '';
  if (!UUID_RE.test(user)) throw new UsageError('--user must be a user id (UUID)');
  const ttl = ttlSeconds(typeof ctx.values.ttl === 'string' ? ctx.values.ttl : '7d');
  const secret = existingJwtSecret(ctx.config);
  const token = await mintToken(secret, { userId: user.toLowerCase(), admin: ctx.values.admin === true }, { ttlSeconds: ttl });
  process.stdout.write(`${token}\n`);
  return 0;
}
