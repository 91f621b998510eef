/** Docker's MAC for an IPv4 address: 02:42 followed by the four address bytes. */
export function macFromIPv4(ip: string): string {
  const parts = ip.split('.').map((p) => Number(p));
  return ['02', '42', ...parts.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
