// The undici dispatcher for requests to a user's own LLM base URL: the egress policy is applied
// when a connection is made, to the addresses actually dialled, so a name that resolved to a
// public address when it was saved and to 127.0.0.1 now (DNS rebinding) is still refused.
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import type { EgressPolicy } from './egress-policy.js';

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function egressDispatcher(policy: EgressPolicy): Dispatcher {
  // net.connect calls `lookup` only for names; IP literals are checked before it is reached.
  const lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    policy.addressesFor(hostname).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : addresses;
        if (options.all) callback(null, wanted);
        else if (wanted[0]) callback(null, wanted[0].address, wanted[0].family);
        else callback(Object.assign(new Error(`no IPv${String(options.family)} address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      },
      (err: Error) => callback(err, []),
    );
  };
  const guarded = buildConnector({ lookup });
  const open = buildConnector({});
  return new Agent({
    connect(options, callback) {
      const host = options.hostname.replace(/^\[|\]$/g, '');
      if (policy.isAllowedHost(options.hostname, options.port, options.protocol)) {
        open(options, callback);
        return;
      }
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
