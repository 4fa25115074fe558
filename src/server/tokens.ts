// Bearer tokens: HS256 JWTs (jose) under JWT_SECRET; subject = user id, `admin: true` for admins.
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import { UUID_RE } from '../messages.js';

const ISSUER = 'diary-events';
const AUDIENCE = 'diary-events-api';

/** Sign-in tokens live a week; `diary-events token` may ask for up to MAX_TOKEN_AGE_SECONDS. */
export const DEFAULT_TOKEN_TTL_SECONDS = 7 * 24 * 3600;
/** No token is accepted longer than this after it was issued (its `iat`), whatever its `exp` says. */
export const MAX_TOKEN_AGE_SECONDS = 30 * 24 * 3600;

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

/**
 * Verifies signature (HS256 only: no "alg: none" or key confusion), issuer and audience, and that
 * `sub`, `iat` and `exp` are present: a token without `exp` would be good forever, and one issued
 * more than MAX_TOKEN_AGE_SECONDS ago is refused even if its `exp` is later.
 */
export async function verifyToken(secret: string, token: string, now?: Date): Promise<TokenClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['sub', 'iat', 'exp'],
      maxTokenAge: MAX_TOKEN_AGE_SECONDS,
      ...(now ? { currentDate: now } : {}),
    });
    if (typeof payload.sub !== 'string' || !UUID_RE.test(payload.sub)) throw new InvalidTokenError('token subject is not a user id');
    return { userId: payload.sub.toLowerCase(), admin: payload.admin === true };
  } catch (err) {
    if (err instanceof InvalidTokenError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError('token expired');
    if (err instanceof joseErrors.JWTClaimValidationFailed) throw new InvalidTokenError(`invalid token: ${err.message}`);
    throw new InvalidTokenError('invalid token');
  }
}
