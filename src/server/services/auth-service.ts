// AuthService: sign-up and sign-in with email + password (scrypt), issuing the JWTs every other
// service checks. Both share one budget per client address; sign-in attempts of one email from one
// address back off exponentially (so an attacker elsewhere cannot lock the owner out); sign-up may
// require REGISTER_KEY. All limits live in Redis, shared by every server replica.
//
// Enumeration: without an email round trip a sign-up must refuse a taken address, so whether an
// email is registered is not a secret here, and nothing pretends it is. What is kept uniform is
// the cost of asking: sign-up and sign-in draw on the same per-address budget and do the same
// scrypt work whether or not the account exists, and sign-in gives one answer for a wrong password
// and an unknown email, so its answers tell no more than sign-up's do.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from '@connectrpc/connect';
import { timingSafeEqual, createHash } from 'node:crypto';
import { createAccount, findAccount, findAccountByEmail, type AccountRow } from '../../db/accounts.js';
import type { Db } from '../../db/db.js';
import { AuthService, MeResponseSchema, type MeResponse } from '../../gen/diary/v1/auth_pb.js';
import type { Logger } from '../../logger.js';
import { callerOf, clientAddressKey } from '../auth.js';
import { decoyHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, verifyPassword } from '../passwords.js';
import type { FailureBackoff, RequestLimiter } from '../../transport/limits.js';
import { addressKey } from '../address-key.js';
import { mintToken } from '../tokens.js';
import { invalid, normalizeEmail, plainText, requireTimezone } from '../validate.js';

export interface AuthServiceDeps {
  db: Db;
  logger: Logger;
  jwtSecret: string;
  registerKey: string | undefined;
  defaultTimezone: string;
  /** Sign-in attempts per email and client address, with backoff (a correct guess cannot hide among failures). */
  signInBackoff: FailureBackoff;
  /** Sign-in and sign-up attempts per client address (IPv6: per /64). */
  addressLimiter: RequestLimiter;
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

  const limitAddress = async (ctx: HandlerContext): Promise<string> => {
    const address = addressKey(ctx.values.get(clientAddressKey));
    const wait = await deps.addressLimiter.take(address);
    if (wait > 0) throw tooMany(wait);
    return address;
  };

  const checkPassword = (password: string) => {
    if (password.length < MIN_PASSWORD_LENGTH) throw invalid(`password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > MAX_PASSWORD_LENGTH) throw invalid(`password must be at most ${MAX_PASSWORD_LENGTH} characters`);
  };

  return {
    async signUp(req, ctx) {
      await limitAddress(ctx);
      if (deps.registerKey !== undefined && !sameSecret(req.registerKey, deps.registerKey)) {
        throw new ConnectError('sign-up needs the registration key of this server', Code.PermissionDenied);
      }
      const email = normalizeEmail(req.email);
      checkPassword(req.password);
      const name = plainText(req.name, 'name', 100) ?? '';
      const timezone = req.timezone.trim() === '' ? null : requireTimezone(req.timezone.trim());
      const account = await createAccount(db, { email, name, timezone, passwordHash: await hashPassword(req.password) });
      if (!account) throw new ConnectError('an account with this email already exists', Code.AlreadyExists);
      deps.logger.info({ user_id: account.id }, 'account created');
      return issue(account);
    },

    async signIn(req, ctx) {
      const address = await limitAddress(ctx);
      const email = normalizeEmail(req.email);
      const pair = `${email}\u0000${address}`;
      const wait = await deps.signInBackoff.attempt(pair);
      if (wait > 0) throw tooMany(wait);
      const account = await findAccountByEmail(db, email);
      // The same work whether or not the account exists, and one message for every failure.
      const ok = await verifyPassword(req.password, account?.password_hash ?? (await decoyHash()));
      if (!account || !account.password_hash || !ok) throw new ConnectError('wrong email or password', Code.Unauthenticated);
      await deps.signInBackoff.succeeded(pair);
      return issue(account);
    },

    async me(_req, ctx) {
      const account = await findAccount(db, callerOf(ctx).userId);
      if (!account) throw new ConnectError('the account of this token no longer exists', Code.Unauthenticated);
      return me(account);
    },
  };
}
