// JSON log lines (pino) with secrets redacted wherever they may appear.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'apiKey', '*.apiKey', 'api_key', '*.api_key', 'password', '*.password', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'secretKey', '*.secretKey', 'jwtSecret', '*.jwtSecret',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    base: options.name ? { proc: options.name } : { },
    redact: { paths: REDACT, censor: '***' },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
