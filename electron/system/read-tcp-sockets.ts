import { readFile } from 'node:fs/promises';

/** One TCP socket of this network namespace, as /proc/net/tcp{,6} lists it. */
export interface TcpSocketEntry {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The kernel's state number in hex, e.g. '01' established, '0A' listen. */
  state: string;
  /** The effective uid of the process that created the socket. */
  uid: number;
  inode: string;
}

/** The TCP states this module's callers look for. */
export const TCP_STATE = { established: '01', listen: '0A' } as const;

/** Every TCP socket of this network namespace (IPv4 and IPv6); [] where /proc/net is missing. */
export async function readTcpSockets(): Promise<TcpSocketEntry[]> {
  const [v4, v6] = await Promise.all([readFile('/proc/net/tcp', 'utf8').catch(() => ''), readFile('/proc/net/tcp6', 'utf8').catch(() => '')]);
  return [...parseProcNetTcp(v4, 4), ...parseProcNetTcp(v6, 6)];
}

/**
 * Parses the text of /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6). IPv4-mapped IPv6
 * addresses come out as plain IPv4 (`::ffff:127.0.0.1` → `127.0.0.1`) so both files compare alike.
 */
export function parseProcNetTcp(text: string, family: 4 | 6): TcpSocketEntry[] {
  const entries: TcpSocketEntry[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const local = splitEndpoint(fields[1]!, family);
    const remote = splitEndpoint(fields[2]!, family);
    if (!local || !remote) continue;
    entries.push({
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: fields[3]!,
      uid: Number(fields[7]),
      inode: fields[9]!,
    });
  }
  return entries;
}

/** `127.0.0.1`, `::1`, `::ffff:127.0.0.1` (as Node reports socket addresses) → the form parseProcNetTcp uses. */
export function normalizeSocketAddress(address: string): string {
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  return lower === '0:0:0:0:0:0:0:1' ? '::1' : lower;
}

function splitEndpoint(text: string, family: 4 | 6): { address: string; port: number } | null {
  const [addressHex, portHex] = text.split(':');
  if (!addressHex || !portHex || addressHex.length !== (family === 4 ? 8 : 32)) return null;
  return { address: decodeAddress(addressHex, family), port: parseInt(portHex, 16) };
}

/** /proc/net/tcp* print addresses as 32-bit words in host (little-endian) byte order. */
function decodeAddress(hex: string, family: 4 | 6): string {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    const wordBytes = hex.slice(word, word + 8).match(/../g) ?? [];
    bytes.push(...wordBytes.reverse().map((b) => parseInt(b, 16)));
  }
  if (family === 4) return bytes.join('.');
  return formatIpv6(bytes);
}

function formatIpv6(bytes: number[]): string {
  const isV4Mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isV4Mapped) return bytes.slice(12).join('.');
  if (bytes.every((b) => b === 0)) return '::';
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const full = groups.join(':');
  return full === '0:0:0:0:0:0:0:1' ? '::1' : full;
}
