// AES-256-GCM encryption of users' API keys at rest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SecretBox, encryptApiKeyForStorage, secretBoxFromSetting } from '../../src/crypto/secret-box.js';

const SECRET = 'a-test-secret-key-that-is-at-least-32-characters';
const API_KEY = 'sk-user-key-1234567890abcdef';

/** Flips one bit of the base64url part `index` (1 iv, 2 tag, 3 ciphertext) of a token. */
function tamper(token: string, index: number): string {
  const parts = token.split(':');
  const bytes = Buffer.from(parts[index] as string, 'base64url');
  bytes[0] = (bytes[0] as number) ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

describe('SecretBox', () => {
  it('round trip; versioned token that does not contain the key; a fresh IV each time', () => {
    const box = new SecretBox(SECRET);
    const a = box.encrypt(API_KEY);
    const b = box.encrypt(API_KEY);
    assert.match(a, /^v1:[\w-]+:[\w-]+:[\w-]+$/);
    assert.ok(!a.includes(API_KEY) && !a.includes('1234567890'), 'ciphertext, not plain text');
    assert.notEqual(a, b, 'random IV');
    assert.equal(box.decrypt(a), API_KEY);
    assert.equal(new SecretBox(SECRET).decrypt(b), API_KEY, 'another instance with the same SECRET_KEY reads it');
    assert.equal(box.decrypt(box.encrypt('鍵🔑')), '鍵🔑');
  });

  it('detects tampering of the IV, the tag or the ciphertext, and a different SECRET_KEY', () => {
    const box = new SecretBox(SECRET);
    const token = box.encrypt(API_KEY);
    for (const i of [1, 2, 3]) assert.throws(() => box.decrypt(tamper(token, i)), /failed authentication/, `part ${i}`);
    assert.throws(() => new SecretBox(SECRET + '!').decrypt(token), /failed authentication/);
    assert.throws(() => box.decrypt('v2:' + token.slice(3)), /unsupported or malformed/);
    assert.throws(() => box.decrypt(API_KEY), /unsupported or malformed/);
  });

  it('error messages never echo the token or the key', () => {
    const box = new SecretBox(SECRET);
    const token = box.encrypt(API_KEY);
    try {
      box.decrypt(tamper(token, 3));
      assert.fail('should throw');
    } catch (e) {
      assert.ok(!String((e as Error).message).includes(token) && !String(e).includes(API_KEY), String(e));
    }
  });

  it('requires a SECRET_KEY of 32+ characters; refuses to store a key without one', () => {
    assert.throws(() => new SecretBox('short'), /at least 32 characters/);
    assert.equal(secretBoxFromSetting(undefined), null);
    assert.equal(secretBoxFromSetting(''), null);
    assert.throws(() => encryptApiKeyForStorage(secretBoxFromSetting(undefined), API_KEY), /SECRET_KEY is not set/);
    const stored = encryptApiKeyForStorage(secretBoxFromSetting(SECRET), API_KEY);
    assert.equal(new SecretBox(SECRET).decrypt(stored), API_KEY);
  });
});
