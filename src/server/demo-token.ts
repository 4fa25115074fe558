// The bearer token `npm start` prints for the demo user (admin), signed like any other.
import type { Config } from '../config.js';
import { DEMO_USER_ID } from '../demo/seed.js';
import { jwtSecretFor } from './jwt-secret.js';
import { mintToken } from './tokens.js';

export function demoToken(config: Pick<Config, 'jwtSecret' | 'dataDir'>): Promise<string> {
  return mintToken(jwtSecretFor(config, true), { userId: DEMO_USER_ID, admin: true });
}
