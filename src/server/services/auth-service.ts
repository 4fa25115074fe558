// AuthService: sign-up and sign-in with email + password (scrypt), issuing the JWTs every other
// service checks. Attempts are rate-limited per email and per client address; sign-up may require
// REGISTER_KEY.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { timingSafeEqual, createHash } from 'node:crypto';
import { createAccount, findAccount, findAccountByEmail, type AccountRow } from '../../db/accounts.js';
import type { Db } from '../../db/db.js';
import { AuthService, MeResponseSchema, type MeResponse } from '../../gen/diary/v1/auth_pb.js';
import type { Logger } from '../../logger.js';
import { callerOf, clientAddressKey } from '../auth.js';
import { decoyHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from '../passwords.js';
import type { RateLimiter } from '../rate-limit.js';
import { mintToken } from '../tokens.js';
import { invalid, normalizeEmail, requireTimezone } from '../validate.js';

export interface AuthServiceDeps {
  db: Db;
  logger: Logger;
  jwtSecret: string;
  registerKey: string | undefined;
  defaultTimezone: string;
  /** Sign-in attempts per email (all attempts count, so a correct guess cannot hide among failures). */
  emailLimiter: RateLimiter;
  /** Sign-in and sign-up attempts per client address. */
  addressLimiter: RateLimiter;
}

function tooMany(waitMs: number): ConnectError {
  return new ConnectError(`too many attempts: try again in ${Math.ceil(waitMs / 1000)}s`, Code.ResourceExhausted);
}

/** Compares digests so neither the length nor the content of the key leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(given), h(expected));
}

export function authService(deps: AuthServiceDeps): ServiceImpl<typeof AuthService> {
  const { db } = deps;

  const me = (a: AccountRow): MeResponse =>
    create(MeResponseSchema, {
      id: a.id,
      email: a.email ?? '',
      name: a.name,
      timezone: a.timezone ?? deps.defaultTimezone,
      admin: a.is_admin,
    });

  const issue = async (a: AccountRow) => ({
    token: await mintToken(deps.jwtSecret, { userId: a.id, admin: a.is_admin }),
    user: me(a),
  });

  const limitAddress = (ctx: HandlerContext) => {
    const wait = deps.addressLimiter.take(ctx.values.get(clientAddressKey));
    if (wait > 0) throw tooMany(wait);
  };

  const checkPassword = (password: string) => {
    if (password.length < MIN_PASSWORD_LENGTH) throw invalid(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > MAX_PASSWORD_LENGTH) throw invalid(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  };

  return {
    async signUp(req, ctx) {
      limitAddress(ctx);
      if (deps.registerKey !== undefined && !sameSecret(req.registerKey, deps.registerKey)) {
        throw new ConnectError('sign-up needs the registration key of this server', Code.PermissionDenied);
      }
      const email = normalizeEmail(req.email);
      checkPassword(req.password);
      const name = req.name.trim();
      if (name.length > 100) throw invalid('name must be at most 100 characters');
      const timezone = req.timezone.trim() === '' ? null : requireTimezone(req.timezone.trim());
      const account = await createAccount(db, { email, name, timezone, passwordHash: await hashPassword(req.password) });
      if (!account) throw new ConnectError('an account with this email already exists', Code.AlreadyExists);
      deps.logger.info({ user_id: account.id }, 'account created');
      return issue(account);
    },

    async signIn(req, ctx) {
      limitAddress(ctx);
      const email = normalizeEmail(req.email);
      const wait = deps.emailLimiter.take(email);
      if (wait > 0) throw tooMany(wait);
      const account = await findAccountByEmail(db, email);
      // The same work whether or not the account exists, and one message for every failure.
      const ok = await verifyPassword(req.password, account?.password_hash ?? (await decoyHash()));
      if (!account || !account.password_hash || !ok) throw new ConnectError('wrong email or password', Code.Unauthenticated);
      return issue(account);
    },

    async me(_req, ctx) {
      const account = await findAccount(db, callerOf(ctx).userId);
      if (!account) throw new ConnectError('the account of this token no longer exists', Code.Unauthenticated);
      return me(account);
    },
  };
}
