// The undici dispatcher for requests to a user's own LLM base URL: the egress policy is applied
// when a connection is made, to the addresses actually dialled, so a name that resolved to a
// public address when it was saved and to 127.0.0.1 now (DNS rebinding) is still refused.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { EgressPolicy, ResolvedAddress } from './egress-policy.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A net.connect `lookup` that answers from `resolve` (the egress policy's, checked or not). */
function lookupFrom(resolve: (hostname: string) => Promise<ResolvedAddress[]>) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (options.all) callback(null, wanted);
        else if (wanted[0]) callback(null, wanted[0].address, wanted[0].family);
        else callback(Object.assign(new Error(`no IPv${String(options.family)} address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      },
      (err: Error) => callback(err, []),
    );
  };
}

export function egressDispatcher(policy: EgressPolicy): Dispatcher {
  // net.connect calls `lookup` only for names; IP literals are checked before it is reached.
  const guarded = buildConnector({ lookup: lookupFrom((h) => policy.addressesFor(h)) });
  const allowed = buildConnector({ lookup: lookupFrom((h) => policy.resolve(h)) });
  return new Agent({
    connect(options, callback) {
      if (policy.isAllowedHost(options.hostname, options.port, options.protocol)) {
        allowed(options, callback);
        return;
      }
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host)) {
        try {
          policy.checkLiteral(host);
        } catch (err) {
          callback(err as Error, null);
          return;
        }
      }
      guarded(options, callback);
    },
  });
}
