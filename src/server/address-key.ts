// The key a client address is rate-limited under: IPv4 (IPv4-mapped IPv6 included) as itself,
// IPv6 by its /64, since one host is routinely given a whole /64 to pick addresses from.
import ipaddr from 'ipaddr.js';

export function addressKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv4') return ip.toString();
  return `${ip.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}
