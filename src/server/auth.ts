// Who is calling: every RPC except sign-up and sign-in needs a valid bearer token, checked once in
// an interceptor (deny by default: a new method is protected without anyone remembering to).
import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from '@connectrpc/connect';
import type { Queryable } from '../db/db.js';
import { findAccount } from '../db/accounts.js';
import { InvalidTokenError, verifyToken } from './tokens.js';

export interface Caller {
  userId: string;
  email: string;
  name: string;
  /** users.timezone, or DEFAULT_TIMEZONE for users who never chose one. */
  timezone: string;
  /** The token says so and the account still is one (revoking takes effect at once). */
  admin: boolean;
}

const callerKey = createContextKey<Caller | undefined>(undefined, { description: 'authenticated caller' });
/** The client's address (the socket's: X-Forwarded-For is not trusted, anyone can send it). */
export const clientAddressKey = createContextKey<string>('unknown', { description: 'client address' });

/** Methods reachable without a token, as "package.Service/Method". */
export const PUBLIC_METHODS: ReadonlySet<string> = new Set(['diary.v1.AuthService/SignUp', 'diary.v1.AuthService/SignIn']);

export interface AuthOptions {
  jwtSecret: string;
  db: Queryable;
  defaultTimezone: string;
}

function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}

export function authInterceptor(options: AuthOptions): Interceptor {
  return (next) => async (req) => {
    if (PUBLIC_METHODS.has(`${req.service.typeName}/${req.method.name}`)) return next(req);
    const header = req.header.get('authorization') ?? '';
    const m = /^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
    if (!m) throw unauthenticated('missing bearer token: send "Authorization: Bearer <token>"');
    let claims;
    try {
      claims = await verifyToken(options.jwtSecret, m[1] as string);
    } catch (err) {
      if (err instanceof InvalidTokenError) throw unauthenticated(err.message);
      throw err;
    }
    const account = await findAccount(options.db, claims.userId);
    if (!account) throw unauthenticated('the account of this token no longer exists');
    req.contextValues.set(callerKey, {
      userId: account.id,
      email: account.email ?? '',
      name: account.name,
      timezone: account.timezone ?? options.defaultTimezone,
      admin: claims.admin && account.is_admin,
    });
    return next(req);
  };
}

/** The authenticated caller; the interceptor guarantees one on every non-public method. */
export function callerOf(ctx: HandlerContext): Caller {
  const caller = ctx.values.get(callerKey);
  if (!caller) throw unauthenticated('not signed in');
  return caller;
}

export function requireAdmin(ctx: HandlerContext): Caller {
  const caller = callerOf(ctx);
  if (!caller.admin) throw new ConnectError('the operations dashboard needs an admin account', Code.PermissionDenied);
  return caller;
}
