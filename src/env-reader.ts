// Reading one environment variable at a time: trimmed, checked, and failing with a ConfigError
// that names the variable and what it accepts (src/config.ts reads every setting through it).

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/**
 * The longest duration a setting may hold: timers (setTimeout/setInterval) take at most 2^31-1 ms,
 * and Node turns anything longer into 1 ms, so `JOB_TIMEOUT=1000h` would time every job out at once.
 */
export const MAX_DURATION_MS = 2_147_483_647;

/** Parses `500ms`, `30s`, `5m`, `1h` (or a sequence such as `1h30m`) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const parts = text.trim().match(/\d+(?:\.\d+)?(?:ms|s|m|h)/g);
  if (!parts || parts.join('') !== text.trim()) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = DURATION_RE.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return Number.isFinite(total) ? Math.round(total) : undefined;
}

export class Reader {
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  fail(name: string, value: string, accepts: string): never {
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(value)}: expected ${accepts}`);
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) this.fail(name, v, `an integer from ${min} to ${max}`);
    return Number(v);
  }

  optionalInt(name: string, min: number, max: number): number | undefined {
    return this.raw(name) === undefined ? undefined : this.int(name, 0, min, max);
  }

  duration(name: string, fallback: string, minMs = 1): number {
    const v = this.raw(name) ?? fallback;
    const ms = parseDuration(v);
    if (ms === undefined || ms < minMs || ms > MAX_DURATION_MS) {
      this.fail(name, v, `a duration like 500ms, 30s, 5m or 1h, from ${minMs}ms to 596h`);
    }
    return ms;
  }

  /**
   * A retention: a duration as above or whole days (`14d`). It arms no timer, so it may exceed
   * MAX_DURATION_MS; `d` is accepted here only, not by other durations.
   */
  retention(name: string, fallback: string, minMs: number, maxDays: number): number {
    const v = this.raw(name) ?? fallback;
    const days = /^(\d+)d$/.exec(v.trim());
    const ms = days ? Number(days[1]) * 86_400_000 : parseDuration(v);
    if (ms === undefined || ms < minMs || ms > maxDays * 86_400_000) {
      this.fail(name, v, `a duration like 14d, 36h or 90m, from ${minMs}ms to ${maxDays}d`);
    }
    return ms;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if (!values.includes(v as T)) this.fail(name, v, `one of ${values.join(', ')}`);
    return v as T;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    return this.fail(name, v, 'true or false');
  }

  list(name: string): string[] {
    return (this.raw(name) ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
  }

  url(name: string, protocols: readonly string[], parse: (v: string) => URL = (v) => new URL(v)): string | undefined {
    const v = this.raw(name);
    if (v === undefined) return undefined;
    const accepts = `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
    let parsed: URL;
    try {
      parsed = parse(v);
    } catch {
      return this.fail(name, redactUrl(v), accepts);
    }
    if (!protocols.includes(parsed.protocol)) this.fail(name, redactUrl(v), accepts);
    return v;
  }
}

/**
 * A URL as it may appear in an error message: everything up to its last `@` (user, password, and
 * whatever a password with `@`, `/` or `?` in it would spill) becomes `***`, and the query and
 * fragment (`?password=`, `?key=`) are cut. Plain text, so it holds for values that are not URLs.
 */
export function redactUrl(value: string): string {
  let s = value;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(s);
    const keep = scheme && scheme[0].length <= at ? scheme[0] : '';
    s = `${keep}***${s.slice(at)}`;
  }
  return s.replace(/[?#][\s\S]*$/, '?...');
}
