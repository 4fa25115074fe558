// Where a user's own LLM base URL may point (DESIGN.md "Egress"): http(s) without credentials,
// query or fragment, to hosts whose every address is public — unless the operator allowed the
// host in LLM_ALLOWED_HOSTS. The operator's LLM_BASE_URL never comes through here.
//
// Numeric spellings (2130706433, 0x7f.1, 017700000001, 127.1) need no code of ours: WHATWG URL
// parsing turns them into 127.0.0.1 for http(s) URLs, and undici connects to what URL parsed.
// Addresses are classified by ipaddr.js; only its `unicast` range counts as public.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** A base URL or address the policy refuses; the message is fit to show to the user. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
}

export function isEgressRefused(err: unknown): err is EgressRefusedError {
  return err instanceof Error && err.name === 'EgressRefusedError';
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to (injected in tests; DNS through getaddrinfo otherwise). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address (cloud metadata lives there)',
  uniqueLocal: 'a unique-local address',
  multicast: 'a multicast address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a shared (carrier-grade NAT) address',
  ipv4Mapped: 'an IPv4-mapped address',
  ipv4Compatible: 'an IPv4-compatible address',
  reserved: 'a reserved address',
};

/** ::a.b.c.d (deprecated, RFC 4291 2.5.5.1), which ipaddr.js files under unicast. */
function isIpv4Compatible(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return ip.kind() === 'ipv6' && ip.match(ipaddr.parseCIDR('::/96'));
}

/** Undefined for a public address; else what it is ("a loopback address"). `address` is an IP literal. */
export function nonPublicRange(address: string): string | undefined {
  const ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  const named = ip.range();
  const range = named === 'unicast' && isIpv4Compatible(ip) ? 'ipv4Compatible' : named;
  if (range === 'unicast') return undefined;
  return RANGE_NAMES[range] ?? `a non-public address (${range})`;
}

/** `host` or `host:port` of LLM_ALLOWED_HOSTS, normalized as URL parsing does (127.1 → 127.0.0.1). */
export interface AllowedHost {
  hostname: string;
  port: string | undefined;
}

/** Parses one LLM_ALLOWED_HOSTS entry; undefined when it is not a host or host:port. */
export function parseAllowedHost(entry: string): AllowedHost | undefined {
  const text = entry.trim();
  if (text === '' || /[/?#@\s\\]/.test(text)) return undefined;
  try {
    const url = new URL(`http://${text}`);
    const port = /:\d+$/.test(text) ? (url.port === '' ? '80' : url.port) : undefined;
    return { hostname: url.hostname, port };
  } catch {
    return undefined;
  }
}

function defaultPort(protocol: string): string {
  return protocol === 'https:' ? '443' : '80';
}

export interface EgressPolicyOptions {
  /** LLM_ALLOWED_HOSTS, each `host` or `host:port`. */
  allowedHosts?: readonly string[];
  /** @defaultValue systemResolver */
  resolve?: Resolver;
  /** Bound on a save-time lookup. @defaultValue 3000 */
  saveLookupTimeoutMs?: number;
}

export class EgressPolicy {
  readonly #allowed: AllowedHost[];
  readonly #resolve: Resolver;
  readonly #saveLookupTimeoutMs: number;

  constructor(options: EgressPolicyOptions = {}) {
    this.#allowed = (options.allowedHosts ?? []).map((entry) => {
      const parsed = parseAllowedHost(entry);
      if (!parsed) throw new Error(`LLM_ALLOWED_HOSTS: "${entry}" is not a host or host:port`);
      return parsed;
    });
    this.#resolve = options.resolve ?? systemResolver;
    this.#saveLookupTimeoutMs = options.saveLookupTimeoutMs ?? 3000;
  }

  /** True when the operator allowed this host (any port, or this one) in LLM_ALLOWED_HOSTS. */
  isAllowedHost(hostname: string, port: string, protocol: string): boolean {
    const effective = port === '' ? defaultPort(protocol) : port;
    const host = hostname.toLowerCase();
    return this.#allowed.some((a) => a.hostname === host && (a.port === undefined || a.port === effective));
  }

  /** The URL's shape: http(s), no credentials, no query, no fragment. Throws EgressRefusedError. */
  parseUrl(value: string): URL {
    if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) throw new EgressRefusedError('must not contain control characters');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new EgressRefusedError('must be an http(s) URL such as https://api.openai.com/v1');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressRefusedError('must start with http:// or https://');
    if (url.username || url.password) throw new EgressRefusedError('must not contain credentials; set llm_api_key instead');
    // "/chat/completions" is appended to the path: after a ? or # it would land in the query or
    // be cut off, and the request would go to the base URL itself.
    if (value.includes('?') || url.search) throw new EgressRefusedError('must not have a query string (?…)');
    if (value.includes('#') || url.hash) throw new EgressRefusedError('must not have a fragment (#…)');
    return url;
  }

  /** Refuses an IP literal or a name that is not public by its spelling alone (localhost). */
  #refuseByName(hostname: string): void {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (isIP(host)) {
      const range = nonPublicRange(host);
      if (range) throw new EgressRefusedError(`${host} is ${range}`);
      return;
    }
    if (host === 'localhost' || host.endsWith('.localhost') || host === 'localhost.') {
      throw new EgressRefusedError(`${host} is a loopback name`);
    }
  }

  /**
   * The addresses to connect to for `hostname`, every one public, unless the host is allowed.
   * Throws EgressRefusedError naming what was refused (never which address a name resolved to:
   * that would map the operator's internal DNS for the user).
   */
  async addressesFor(hostname: string): Promise<ResolvedAddress[]> {
    this.#refuseByName(hostname);
    const addresses = await this.#resolve(hostname);
    if (addresses.length === 0) throw new EgressRefusedError(`${hostname} has no address`);
    for (const a of addresses) {
      if (nonPublicRange(a.address)) throw new EgressRefusedError(`${hostname} resolves to a non-public address`);
    }
    return addresses;
  }

  /** Every address of `hostname`, unchecked: for hosts in LLM_ALLOWED_HOSTS. */
  resolve(hostname: string): Promise<ResolvedAddress[]> {
    return this.#resolve(hostname);
  }

  /** Connect time, for an IP literal (no lookup happens for it). Throws EgressRefusedError. */
  checkLiteral(hostname: string): void {
    this.#refuseByName(hostname);
  }

  /**
   * Save time: the URL's shape, then its host. A name that does not resolve now is accepted (the
   * connect-time check decides); one that resolves to a non-public address is refused.
   */
  async checkForSave(value: string): Promise<URL> {
    const url = this.parseUrl(value);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (this.isAllowedHost(url.hostname, url.port, url.protocol)) return url;
    this.#refuseByName(host);
    if (isIP(host)) return url;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#saveLookupTimeoutMs);
    });
    try {
      const addresses = await Promise.race([this.#resolve(host).catch(() => undefined), timeout]);
      if (addresses?.some((a) => nonPublicRange(a.address))) {
        throw new EgressRefusedError(`${host} resolves to a non-public address`);
      }
    } finally {
      clearTimeout(timer);
    }
    return url;
  }
}
