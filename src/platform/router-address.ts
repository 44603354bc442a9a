// Router addresses (the `hostname` field): one syntax per transport, and local sockets only under
// directories the admin allows (PEERDESK_SOCKET_DIRS), so an operator cannot point the server at any socket.
import { isIP } from 'node:net';

/** A router address split into its transport and parts. */
export type RouterAddress =
  | { kind: 'host'; host: string; port: number | null }
  | { kind: 'ssh'; user: string | null; host: string; port: number | null; path: string | null }
  | { kind: 'grpc' | 'https' | 'netconf'; host: string; port: number | null }
  | { kind: 'unix' | 'vtysh'; path: string };

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;

/** Whether a string is a DNS name (RFC 1123 labels) or an IPv4/IPv6 literal. */
export function isValidHost(host: string): boolean {
  if (isIP(host)) return true;
  if (host.length > 253) return false;
  const labels = host.replace(/\.$/, '').split('.');
  // An all-numeric name would be an odd IPv4 form (127.1, 2130706433): refuse it.
  if (labels.every((l) => /^\d+$/.test(l)) || /^0x[0-9a-f]+$/i.test(host)) return false;
  return labels.every((l) => LABEL.test(l));
}

/**
 * Whether a socket path (or, for vtysh, a directory) is inside one of `dirs`: absolute, normalised
 * (no `.`/`..` segments, no `//`), no NUL or control characters. Symlinks inside an allowed directory
 * are the admin's; drivers should still connect to this exact path.
 */
export function isAllowedSocketPath(path: string, dirs: readonly string[]): boolean {
  if (!path.startsWith('/') || /[\0-\x1f\x7f]/.test(path) || path.length > 4096) return false;
  const segments = path.split('/').slice(1);
  if (segments.some((s) => s === '' || s === '.' || s === '..') && path !== '/') return false;
  return dirs.some((d) => {
    const dir = d === '/' ? '' : d.replace(/\/+$/, '');
    return path === dir || path.startsWith(`${dir}/`);
  });
}

function port(text: string | undefined): number | null | undefined {
  if (text === undefined) return null;
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 && n <= 65535 ? n : undefined;
}

// `host`, `host:port`, `[v6]`, `[v6]:port`, or a bare IPv6 address.
function hostPort(text: string): { host: string; port: number | null } | null {
  if (isIP(text) === 6) return { host: text, port: null };
  const m = /^\[([0-9A-Fa-f:.]+)\](?::(\d+))?$/.exec(text) ?? /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  if (!m) return null;
  const p = port(m[2]);
  if (p === undefined) return null;
  if (text.startsWith('[') ? isIP(m[1]) !== 6 : !isValidHost(m[1])) return null;
  return { host: m[1], port: p };
}

/**
 * Parses and checks a router address; returns the parsed form or an error message naming what is
 * wrong. Forms: `host`, `host:port`, `ssh://[user@]host[:port][/path/on/router]`, `unix:/abs/path`, `vtysh:/abs/dir`,
 * `grpc://host:port`, `https://host[:port]`, `netconf://host[:port]`.
 */
export function parseRouterAddress(text: string, socketDirs: readonly string[]): RouterAddress | { error: string } {
  if (/[\s\0-\x1f\x7f]/.test(text)) return { error: 'must not contain whitespace or control characters' };
  if (text.startsWith('unix:') || text.startsWith('vtysh:')) {
    const kind = text.startsWith('unix:') ? 'unix' : 'vtysh';
    const path = text.slice(kind.length + 1);
    if (!path.startsWith('/')) return { error: `${kind}: needs an absolute path` };
    if (!isAllowedSocketPath(path, socketDirs)) {
      return {
        error: `${kind}: paths must be inside ${socketDirs.length ? socketDirs.join(', ') : 'a directory listed in PEERDESK_SOCKET_DIRS (none is)'} (PEERDESK_SOCKET_DIRS), without . or .. segments`,
      };
    }
    return { kind, path };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(text);
  if (scheme) {
    const kind = scheme[1].toLowerCase();
    let rest = scheme[2];
    // ssh:// may name a path on the router itself (birdc -s SOCKET, vtysh --vty_socket DIR).
    let path: string | null = null;
    const slash = rest.indexOf('/');
    if (slash >= 0) {
      path = rest.slice(slash);
      rest = rest.slice(0, slash);
      if (path === '/') path = null;
      else if (kind !== 'ssh') return { error: `${kind}:// takes no path` };
      else if (
        path
          .split('/')
          .slice(1)
          .some((seg) => seg === '' || seg === '.' || seg === '..')
      )
        return { error: 'the path on the router must be absolute, without . or .. segments' };
    }
    if (!['ssh', 'grpc', 'https', 'netconf'].includes(kind))
      return { error: `unknown scheme ${kind}://; use ssh://, grpc://, https://, netconf://, unix: or vtysh:` };
    let user: string | null = null;
    if (kind === 'ssh' && rest.includes('@')) {
      const at = rest.lastIndexOf('@');
      user = rest.slice(0, at);
      rest = rest.slice(at + 1);
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(user))
        return { error: 'the ssh user may use letters, digits, . _ - (at most 64)' };
    }
    const hp = hostPort(rest);
    if (!hp) return { error: `${kind}:// needs a host name or IP address, optionally :port (1-65535)` };
    if (kind === 'grpc' && hp.port === null) return { error: 'grpc:// needs a port, e.g. grpc://192.0.2.1:50051' };
    return kind === 'ssh'
      ? { kind: 'ssh', user, host: hp.host, port: hp.port, path }
      : { kind: kind as 'grpc' | 'https' | 'netconf', host: hp.host, port: hp.port };
  }
  const hp = hostPort(text);
  if (!hp)
    return {
      error:
        'must be host, host:port, ssh://user@host[:port], unix:/path, vtysh:/dir, grpc://host:port, https://host[:port] or netconf://host[:port]',
    };
  return { kind: 'host', host: hp.host, port: hp.port };
}
