// Behind a proxy: the `trustProxy` option and what req.ip / req.protocol derive from it.
// Nothing here runs unless a handler reads req.ip or req.protocol (lazy getters on Request).
//
// Which header: X-Forwarded-For when the request has one, else Forwarded (RFC 7239). A proxy
// appends to the header it knows and passes the other one through as the client sent it, so
// either choice trusts a forged header when the proxy sets only the other one; X-Forwarded-For
// first is the safe choice for the proxies people run (nginx, HAProxy, cloud balancers set it,
// few set Forwarded). docs/proxies-and-logging.md says it to users.
import { BlockList, isIP, isIPv4 } from 'node:net';
import { sameName } from './validate.js';

/** The option as given: false, true, a hop count, or a list of addresses / CIDR ranges. */
export type TrustProxy = boolean | number | readonly string[];

/**
 * The option resolved: `all` trusts every hop; else the first `hops` addresses of the chain
 * (the peer first) are trusted; else those in `list`.
 */
export interface ProxyTrust {
  readonly all: boolean;
  readonly hops: number;
  readonly list: BlockList | null;
}

/**
 * Check and resolve the option (listen() calls it; a bad value throws there, not per request).
 * null: trust nothing (the default, `false`, and `0` hops).
 */
export function resolveTrustProxy(value: unknown): ProxyTrust | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { all: true, hops: 0, list: null };
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > 1000) {
      throw new RangeError(`trustProxy: a hop count must be a whole number from 0 to 1000, got ${value}`);
    }
    return value === 0 ? null : { all: false, hops: value, list: null };
  }
  if (!Array.isArray(value)) {
    throw new TypeError(`trustProxy must be true, false, a hop count or a list of addresses/CIDRs, got ${typeof value === 'string' ? `'${value}'` : typeof value}`);
  }
  const list = new BlockList();
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'string') throw new TypeError(`trustProxy: list entries must be strings, got ${typeof entry}`);
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry.trim() : entry.slice(0, slash).trim();
    const family = isIP(address);
    if (family === 0) throw new TypeError(`trustProxy: '${entry}' is not an IP address or CIDR range`);
    let prefix = family === 4 ? 32 : 128;
    if (slash !== -1) {
      const bits = entry.slice(slash + 1).trim();
      prefix = /^[0-9]{1,3}$/.test(bits) ? Number(bits) : -1;
      if (prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new RangeError(`trustProxy: '${entry}' has a prefix length out of range (0-${family === 4 ? 32 : 128})`);
      }
    }
    // BlockList matches an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, how a dual-stack socket
    // reports an IPv4 peer) against IPv4 rules and an IPv4 address against mapped rules.
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return { all: false, hops: 0, list };
}

function trusts(trust: ProxyTrust, address: string, index: number): boolean {
  if (trust.all) return true;
  if (trust.list === null) return index < trust.hops;
  return trust.list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Is the peer a trusted proxy? A peer without an address (a Unix socket: nginx's `proxy_pass
 * http://unix:…` on this machine) is the first hop like any other for `true` and a hop count;
 * a list names addresses, so it never holds such a peer.
 */
function trustsPeer(trust: ProxyTrust, peer: string | undefined): boolean {
  return peer === undefined ? trust.list === null : trusts(trust, peer, 0);
}

/**
 * The client's address: the peer unless it is trusted; else the forwarded chain is walked from
 * the right (the nearest hop first), each trusted address passing on to the one it reports,
 * and the first untrusted address is the client (the leftmost when all are trusted). An entry
 * that is not an address (garbage, `unknown`, an obfuscated `_id`, RFC 7239 §6) ends the walk
 * at the last address that is: a value no trusted hop vouched for is never returned.
 */
export function clientAddress(rawHeaders: readonly string[], peer: string | undefined, trust: ProxyTrust | null): string | undefined {
  if (trust === null || !trustsPeer(trust, peer)) return peer;
  const chain = forwardedFor(rawHeaders);
  if (chain === null) return peer;
  let address: string | undefined = peer;
  for (let i = chain.length - 1, index = 1; i >= 0; i--, index++) {
    const next = chain[i];
    if (next === null) return address;
    address = next;
    if (!trusts(trust, address, index)) return address;
  }
  return address;
}

/**
 * 'https' or 'http' as the nearest trusted proxy reports it: the last X-Forwarded-Proto value,
 * else the last Forwarded `proto=`; anything else (or no header) is 'http'.
 */
export function forwardedProtocol(rawHeaders: readonly string[], peer: string | undefined, trust: ProxyTrust | null): 'http' | 'https' {
  if (trust === null || !trustsPeer(trust, peer)) return 'http';
  let proto: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 17 && sameName(name, 'x-forwarded-proto')) {
      const value = rawHeaders[i + 1];
      proto = value.slice(value.lastIndexOf(',') + 1);
    }
  }
  if (proto === undefined) {
    const elements = forwardedElements(rawHeaders);
    if (elements !== null && elements.length > 0) proto = elements[elements.length - 1]?.get('proto');
  }
  return proto !== undefined && proto.trim().toLowerCase() === 'https' ? 'https' : 'http';
}

/**
 * The forwarded chain, leftmost (the client as the first proxy saw it) first; null entries are
 * not addresses. null: no header. Repeated header lines form one list (RFC 9110 §5.3).
 */
function forwardedFor(rawHeaders: readonly string[]): (string | null)[] | null {
  let chain: (string | null)[] | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 15 && sameName(name, 'x-forwarded-for')) {
      if (chain === null) chain = [];
      for (const item of rawHeaders[i + 1].split(',')) chain.push(nodeAddress(item.trim(), false));
    }
  }
  if (chain !== null) return chain;
  const elements = forwardedElements(rawHeaders);
  if (elements === null) return null;
  chain = [];
  for (const element of elements) {
    const node = element?.get('for');
    chain.push(node === undefined ? null : nodeAddress(node, true));
  }
  return chain;
}

/**
 * An address from a chain entry, or null. X-Forwarded-For holds bare addresses (some proxies
 * add a port: `1.2.3.4:80`, `[::1]:80`); a Forwarded node is an IPv4 address or a bracketed
 * IPv6 one, optionally with a port (RFC 7239 §6).
 */
function nodeAddress(node: string, bracketsRequired: boolean): string | null {
  if (node.charCodeAt(0) === 91) { // '['
    const close = node.indexOf(']');
    if (close === -1 || (close !== node.length - 1 && !isPort(node.slice(close + 1)))) return null;
    const inner = node.slice(1, close);
    return isIP(inner) === 6 ? inner : null;
  }
  const family = isIP(node);
  if (family === 4 || (family === 6 && !bracketsRequired)) return node;
  const colon = node.indexOf(':');
  if (colon !== -1 && isPort(node.slice(colon)) && isIPv4(node.slice(0, colon))) return node.slice(0, colon);
  return null;
}

/** `:80` (RFC 7239 §6: node-port = port / obfport). */
function isPort(s: string): boolean {
  return /^:([0-9]{1,5}|_[A-Za-z0-9._-]+)$/.test(s);
}

/**
 * The Forwarded elements of every Forwarded line in order, each a map of its parameters
 * (lower-cased names), or null for an element that does not parse. null: no header.
 */
function forwardedElements(rawHeaders: readonly string[]): (Map<string, string> | null)[] | null {
  let out: (Map<string, string> | null)[] | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    if (name.length === 9 && sameName(name, 'forwarded')) {
      if (out === null) out = [];
      parseForwarded(rawHeaders[i + 1], out);
    }
  }
  return out;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * RFC 7239 §4: Forwarded = 1#forwarded-element; forwarded-element = [pair] *( ";" [pair] );
 * pair = token "=" ( token / quoted-string ). An element with a syntax error becomes null; a
 * quote left open swallows the rest of its line (then the last element is null, which ends
 * the walk at the peer: safe).
 */
function parseForwarded(value: string, out: (Map<string, string> | null)[]): void {
  let i = 0;
  const n = value.length;
  let element: Map<string, string> | null = new Map();
  const skipSpace = (): void => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  while (i <= n) {
    skipSpace();
    if (i === n) {
      out.push(element);
      return;
    }
    const c = value[i];
    if (c === ',') {
      out.push(element);
      element = new Map();
      i++;
      continue;
    }
    if (c === ';') {
      i++;
      continue;
    }
    // name
    const start = i;
    while (i < n && TOKEN_CHAR.test(value[i])) i++;
    const key = value.slice(start, i).toLowerCase();
    skipSpace();
    if (key === '' || value[i] !== '=') {
      // Broken element: skip to the next top-level comma (outside quotes).
      element = null;
      i = skipElement(value, i);
      continue;
    }
    i++;
    skipSpace();
    let v = '';
    if (value[i] === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const q = value[i];
        if (q === '\\' && i + 1 < n) {
          v += value[i + 1];
          i += 2;
        } else if (q === '"') {
          i++;
          closed = true;
          break;
        } else {
          v += q;
          i++;
        }
      }
      if (!closed) {
        out.push(null);
        return;
      }
    } else {
      const vs = i;
      while (i < n && TOKEN_CHAR.test(value[i])) i++;
      v = value.slice(vs, i);
      if (v === '') {
        element = null;
        i = skipElement(value, i);
        continue;
      }
    }
    skipSpace();
    if (i < n && value[i] !== ';' && value[i] !== ',') {
      element = null;
      i = skipElement(value, i);
      continue;
    }
    // RFC 7239 §4: a parameter appears at most once per element.
    if (element !== null) {
      if (element.has(key)) element = null;
      else element.set(key, v);
    }
  }
}

/** Index of the next comma outside a quoted string (or the end). */
function skipElement(value: string, i: number): number {
  let quoted = false;
  for (; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ',') return i;
  }
  return i;
}
