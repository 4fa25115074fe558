// Bearer tokens: HS256 JWTs (jose) under JWT_SECRET; subject = user id, `admin: true` for admins.
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { UUID_RE } from '../messages.js';

const ISSUER = 'diary-events';
const AUDIENCE = 'diary-events-api';

/** Sign-in tokens live a week; `diary-events token` may ask for longer. */
export const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

export interface TokenClaims {
  userId: string;
  admin: boolean;
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function mintToken(
  secret: string,
  claims: TokenClaims,
  options: { ttlSeconds?: number; now?: Date } = {},
): Promise<string> {
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  return new SignJWT(claims.admin ? { admin: true } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS))
    .sign(keyOf(secret));
}

export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Verifies signature (HS256 only: no "alg: none" or key confusion), expiry, issuer and audience. */
export async function verifyToken(secret: string, token: string): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
    if (typeof payload.sub !== 'string' || !UUID_RE.test(payload.sub)) throw new InvalidTokenError('token subject is not a user id');
    return { userId: payload.sub.toLowerCase(), admin: payload.admin === true };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token expired');
    throw new InvalidTokenError('invalid token');
  }
}
