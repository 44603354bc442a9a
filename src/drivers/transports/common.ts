// Shared pieces of every transport: allowed local sockets, per-call timeouts, job-log lines, and the
// error codes drivers raise (router_unreachable, router_timeout, router_error, socket_not_allowed).
import { UpstreamError } from '../../platform/errors.ts';
import { isAllowedSocketPath } from '../../platform/router-address.ts';
import type { DriverLog, DriverSessionOptions } from '../driver.types.ts';

/** Default per device call timeout (DriverSessionOptions.timeoutMs). */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** The per-call timeout of a session. */
export function callTimeout(opts: Pick<DriverSessionOptions, 'timeoutMs'>): number {
  return opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : DEFAULT_TIMEOUT_MS;
}

/** Allowed socket directories: the session's, else PEERDESK_SOCKET_DIRS (comma list), else none. */
export function socketDirsOf(opts: Pick<DriverSessionOptions, 'socketDirs'>): string[] {
  if (opts.socketDirs) return opts.socketDirs;
  return (process.env.PEERDESK_SOCKET_DIRS ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean)
    .map((d) => (d.length > 1 ? d.replace(/\/+$/, '') : d));
}

/**
 * Refuses a local socket path outside the allowed directories. The message is the same whether or
 * not the path exists, so a refused hostname tells nothing about the server's file system.
 */
export function assertSocketAllowed(path: string, opts: Pick<DriverSessionOptions, 'socketDirs'>): void {
  if (!isAllowedSocketPath(path, socketDirsOf(opts))) {
    throw new UpstreamError(
      'local router sockets are only allowed inside the directories listed in PEERDESK_SOCKET_DIRS; this path is not',
      'socket_not_allowed',
    );
  }
}

/** Writes one job-log line (never throws: a failing log must not fail the device call). */
export async function logLine(
  log: DriverLog | undefined,
  message: string,
  level: 'debug' | 'info' | 'warn' | 'error' = 'info',
): Promise<void> {
  if (!log) return;
  try {
    await log(message, level);
  } catch {
    /* the log is best effort */
  }
}

/** Logs a device call: the command and a truncated answer (callers pass only secret-free text). */
export async function logCall(
  log: DriverLog | undefined,
  router: string,
  command: string,
  answer: string,
  level: 'debug' | 'info' = 'info',
): Promise<void> {
  if (!log) return;
  await logLine(log, `${router}: ${command} → ${logExcerpt(answer) || '(empty)'}`, level);
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || (c > 127 && /\s/.test(String.fromCharCode(c)));

/**
 * A device answer for the job log: its first `max` characters with whitespace runs collapsed to one
 * space (as truncateForLog), reading only as much of the answer as that needs; a longer answer ends
 * in `… (N chars)`, N being the length of the answer as received.
 */
export function logExcerpt(text: string, max = 400): string {
  const n = text.length;
  let out = '';
  let i = 0;
  while (i < n && out.length <= max) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    if (out) out += ' ';
    let j = i;
    const stop = Math.min(n, i + max - out.length + 1);
    while (j < stop && !isSpace(text.charCodeAt(j))) j++;
    out += text.slice(i, j);
    i = j;
  }
  return out.length > max ? `${out.slice(0, max)}… (${n} chars)` : out;
}

/** Router could not be reached (connection refused, no socket, DNS, TLS/SSH handshake, auth). */
export function unreachable(router: string, why: string): UpstreamError {
  return new UpstreamError(`router ${router} unreachable: ${why}`, 'router_unreachable');
}

/** A device call took longer than the timeout. */
export function timedOut(router: string, command: string, ms: number): UpstreamError {
  return new UpstreamError(
    `router ${router}: "${command}" got no complete answer within ${Math.round(ms / 100) / 10} s`,
    'router_timeout',
  );
}

/** The device answered with an error. */
export function deviceError(router: string, command: string, message: string): UpstreamError {
  return new UpstreamError(`router ${router} refused "${command}": ${message}`, 'router_error');
}

/** Quotes one argument for a POSIX shell (remote commands over SSH). */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Rejects when `signal` aborts; returns a cleanup function. */
export function onAbort(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => {};
  if (signal.aborted) {
    fn();
    return () => {};
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}
