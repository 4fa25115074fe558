// Prints the README's settings table from src/config.ts SETTINGS (test/readme.test.ts keeps them equal).
import { SETTINGS } from '../src/config.js';

export function settingsTable(): string {
  return SETTINGS.map((s) => `| \`${s.name}\` | ${s.default === '—' ? '—' : `\`${s.default}\``} | ${s.meaning} |`).join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(`${settingsTable()}\n`);
