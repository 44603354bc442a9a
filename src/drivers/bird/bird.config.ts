// Where a BIRD router's configuration file is, and how the driver reads and writes it (locally, or on
// the router over SSH). Peerdesk owns the whole file: a deploy writes the candidate next to it
// (`FILE.peerdesk-candidate`), BIRD checks and applies it with `configure "…" timeout N`, and only
// `configure confirm` makes it the file BIRD starts from. The path: the router's credential field
// `config_file` when present, else PEERDESK_BIRD_CONFIG_FILE (default /etc/bird/bird.conf).
import { chown, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { RouterTarget } from '../driver.types.ts';
import { deviceError, shellQuote } from '../transports/common.ts';
import type { SshConnection } from '../transports/ssh.ts';

/** A clean absolute path BIRD can take in quotes, or null. */
function cleanPath(p: unknown): string | null {
  if (typeof p !== 'string') return null;
  const d = p.trim();
  return d && isAbsolute(d) && !d.split('/').includes('..') && !/["\\\0-\x1f\x7f]/.test(d) ? d : null;
}

/** The router's BIRD configuration file, or null when it is not known (config capability unusable). */
export function birdConfigFile(router: Pick<RouterTarget, 'credentials'>): string | null {
  const own = (router.credentials as { config_file?: unknown } | null)?.config_file;
  return cleanPath(own) ?? cleanPath(process.env.PEERDESK_BIRD_CONFIG_FILE ?? '/etc/bird/bird.conf');
}

/** Where the candidate is written (same directory: relative includes keep working). */
export function candidatePath(file: string): string {
  return `${file}.peerdesk-candidate`;
}

/** File access on BIRD's host. `write` gives the new file the mode and owner of `like` (BIRD must read it). */
export interface ConfigFiles {
  read(path: string): Promise<string>;
  write(path: string, content: string, like: string): Promise<void>;
  remove(path: string): Promise<void>;
}

/** Files on this machine. */
export function localFiles(router: string): ConfigFiles {
  return {
    async read(path) {
      try {
        return await readFile(path, 'utf8');
      } catch (e) {
        throw deviceError(router, `read ${path}`, (e as NodeJS.ErrnoException).code ?? 'cannot read');
      }
    },
    async write(path, content, like) {
      const st = await stat(like).catch(() => null);
      const tmp = `${path}.peerdesk-tmp`;
      try {
        await writeFile(tmp, content, { mode: st ? st.mode & 0o777 : 0o640 });
        if (st && process.getuid?.() === 0) await chown(tmp, st.uid, st.gid);
        await rename(tmp, path); // atomic: BIRD never reads half a file
      } catch (e) {
        await rm(tmp, { force: true });
        throw deviceError(router, `write ${path}`, (e as NodeJS.ErrnoException).code ?? 'cannot write');
      }
    },
    async remove(path) {
      await rm(path, { force: true });
    },
  };
}

/** Files on the router, over the session's SSH connection. */
export function sshFiles(router: string, conn: SshConnection): ConfigFiles {
  const q = shellQuote;
  return {
    async read(path) {
      const r = await conn.exec(`cat ${q(path)}`, { logAs: `read ${path}` });
      if (r.code !== 0) throw deviceError(router, `read ${path}`, r.stderr.trim() || `exit code ${r.code}`);
      return r.stdout;
    },
    async write(path, content, like) {
      const tmp = `${path}.peerdesk-tmp`;
      const r = await conn.exec(
        `cat > ${q(tmp)} && { chmod --reference=${q(like)} ${q(tmp)} 2>/dev/null; chown --reference=${q(like)} ${q(tmp)} 2>/dev/null; mv -f ${q(tmp)} ${q(path)}; }`,
        { input: content, logAs: `write ${path}` },
      );
      if (r.code !== 0) throw deviceError(router, `write ${path}`, r.stderr.trim() || `exit code ${r.code}`);
    },
    async remove(path) {
      await conn.exec(`rm -f ${q(path)}`, { logAs: `remove ${path}` });
    },
  };
}
