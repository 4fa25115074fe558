// JSON log lines (pino) with secrets redacted wherever they may appear.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'apiKey', '*.apiKey', 'api_key', '*.api_key', 'password', '*.password', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'secretKey', '*.secretKey', 'jwtSecret', '*.jwtSecret',
];

/** Replaces the password of any URL in `text` (redis://user:pw@host, postgres://…) with `***`. */
export function redactUrlPasswords(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)([^@\s]+)@/gi, '$1***@');
}

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    base: options.name ? { proc: options.name } : { },
    redact: { paths: REDACT, censor: '***' },
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
