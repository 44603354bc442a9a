// FRR's vtysh, locally (`vtysh --vty_socket DIR`, run with execFile: no shell) or on the router over an
// SSH connection. `-H /dev/null` keeps vtysh from writing a history file.
import { execFile } from 'node:child_process';
import type { DriverSessionOptions } from '../driver.types.ts';
import { assertSocketAllowed, callTimeout, deviceError, logCall, shellQuote, timedOut, unreachable } from './common.ts';
import type { SshConnection } from './ssh.ts';

/** Runs vtysh with one or more `-c` commands and returns its standard output. */
export interface Vtysh {
  run(commands: string[]): Promise<string>;
}

/** The vtysh argument list for a socket dir (null: vtysh's default) and commands. */
export function vtyshArgs(socketDir: string | null, commands: string[]): string[] {
  return [...(socketDir ? ['--vty_socket', socketDir] : []), '-H', '/dev/null', ...commands.flatMap((c) => ['-c', c])];
}

// vtysh exits 1 both when it cannot reach bgpd and when a command fails; its messages tell which.
function judge(router: string, shown: string, code: number | null, stdout: string, stderr: string): string {
  const text = `${stdout}\n${stderr}`;
  if (/failed to connect to any daemons|not connected|Connection refused|No such file or directory/i.test(stderr))
    throw unreachable(
      router,
      'vtysh cannot reach bgpd (is bgpd running, and may this user use its vty socket, e.g. group frrvty?)',
    );
  const err = /^%\s*(.+)$/m.exec(text);
  if (code !== 0 || err) throw deviceError(router, shown, err?.[1]?.trim() ?? (stderr.trim() || `exit code ${code}`));
  return stdout;
}

/** vtysh on this machine; the socket directory must be inside the allowed socket directories. */
export function localVtysh(router: string, socketDir: string, opts: DriverSessionOptions): Vtysh {
  assertSocketAllowed(socketDir, opts);
  const timeout = callTimeout(opts);
  return {
    run(commands) {
      const shown = commands.join(' ; ');
      return new Promise((resolve, reject) => {
        execFile(
          'vtysh',
          vtyshArgs(socketDir, commands),
          { timeout, killSignal: 'SIGKILL', signal: opts.signal, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
          (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
            if (e?.killed || e?.name === 'AbortError')
              return reject(
                e.name === 'AbortError' ? unreachable(router, 'cancelled') : timedOut(router, shown, timeout),
              );
            if (e && e.code === 'ENOENT')
              return reject(unreachable(router, 'vtysh is not installed on the Peerdesk server'));
            try {
              const out = judge(router, shown, e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr);
              void logCall(opts.log, router, `vtysh ${shown}`, out);
              resolve(out);
            } catch (x) {
              void logCall(opts.log, router, `vtysh ${shown}`, `${stdout}${stderr}`);
              reject(x);
            }
          },
        );
      });
    },
  };
}

/** vtysh on the router over SSH; `socketDir` is the router's vty socket dir (null: vtysh's default). */
export function sshVtysh(router: string, conn: SshConnection, socketDir: string | null): Vtysh {
  return {
    async run(commands) {
      const shown = commands.join(' ; ');
      const r = await conn.exec(['vtysh', ...vtyshArgs(socketDir, commands)].map(shellQuote).join(' '), {
        logAs: `vtysh ${shown}`,
      });
      if (r.code === 127) throw unreachable(router, 'vtysh not found on the router');
      return judge(router, shown, r.code, r.stdout, r.stderr);
    },
  };
}
