// Encryption at rest for users' LLM API keys: AES-256-GCM under a key derived from SECRET_KEY.
// Tokens are versioned ("v1:") so the derivation or cipher can change without losing old rows.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Domain separation: the same SECRET_KEY may serve other purposes elsewhere. */
const HKDF_SALT = 'diary-events/secret-box';
const HKDF_INFO = 'user-llm-api-key/v1';
/** Binds ciphertexts to this use, so one taken from another context fails to decrypt. */
const AAD = Buffer.from('diary-events:user_llms.api_key_encrypted:v1');

export const MIN_SECRET_KEY_LENGTH = 32;

export class SecretBox {
  readonly #key: Buffer;

  constructor(secretKey: string) {
    if (typeof secretKey !== 'string' || secretKey.length < MIN_SECRET_KEY_LENGTH) {
      throw new Error(`SECRET_KEY must be at least ${MIN_SECRET_KEY_LENGTH} characters long`);
    }
    this.#key = Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), HKDF_SALT, HKDF_INFO, 32));
  }

  /** "v1:<iv>:<tag>:<ciphertext>", each part base64url; a fresh random IV every call. */
  encrypt(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join(':');
  }

  /** Throws (without echoing the token) when it is malformed, tampered with, or under another key. */
  decrypt(token: string): string {
    const parts = typeof token === 'string' ? token.split(':') : [];
    if (parts.length !== 4 || parts[0] !== VERSION) throw new Error('secret box: unsupported or malformed token');
    const iv = Buffer.from(parts[1] as string, 'base64url');
    const tag = Buffer.from(parts[2] as string, 'base64url');
    const ct = Buffer.from(parts[3] as string, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new Error('secret box: malformed token');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(AAD);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw new Error('secret box: token failed authentication (tampered with, or encrypted under another SECRET_KEY)', { cause });
    }
  }

  /** Keeps the derived key out of console.log / util.inspect output. */
  toJSON(): string {
    return 'SecretBox';
  }
}

/** The SecretBox for a SECRET_KEY setting, or null when it is unset (reading old keys is then impossible). */
export function secretBoxFromSetting(secretKey: string | undefined | null): SecretBox | null {
  return secretKey ? new SecretBox(secretKey) : null;
}

/** Encrypts a user's API key for storage; refuses, with a clear error, when SECRET_KEY is unset. */
export function encryptApiKeyForStorage(box: SecretBox | null, apiKey: string): string {
  if (!box) throw new Error('refusing to store an API key: SECRET_KEY is not set (set it to 32+ random characters)');
  return box.encrypt(apiKey);
}
