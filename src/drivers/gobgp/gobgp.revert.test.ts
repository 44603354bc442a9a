// The revert timer against a real gobgpd on this machine (no BGP: port -1, passive neighbours only):
// a timer restores its own previous file; a timer that fired before a slow install refuses that install
// (nothing written over its restore); a confirm cancels only its own arm; a re-arm replaces the armed
// timer without losing the new arm's files.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason } from '../../../test/support/lab.ts';
import { gobgpHost, type GobgpHost } from './gobgp.revert.ts';
import { localShell } from '../transports/host-timer.ts';

const skip = labSkipReason('gobgpd', 'gobgpd');

describe.skipIf(skip)('the gobgpd revert timer on this machine', () => {
  let dir = '';
  let child: ChildProcess | null = null;
  let host: GobgpHost;
  const file = () => join(dir, 'gobgpd.toml');
  const state = () => join(dir, 'state');
  const running = () => readFileSync(file(), 'utf8');
  const A = `[global.config]\n  as = 65012\n  router-id = "127.0.12.40"\n  port = -1\n`;
  const B = `${A}\n[[neighbors]]\n  [neighbors.config]\n    neighbor-address = "127.0.12.41"\n    peer-as = 65041\n  [neighbors.transport.config]\n    passive-mode = true\n`;
  /** The timer's files besides its lock: none once nothing is armed. */
  const leftovers = () => readdirSync(state()).filter((f) => !f.endsWith('.lock'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pd-gobgp-revert-'));
    chmodSync(dir, 0o711);
    writeFileSync(file(), A, { mode: 0o644 });
    const api = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => resolve(port));
      });
    });
    child = spawn('gobgpd', ['-f', file(), '--api-hosts', `127.0.0.1:${api}`, '--pprof-disable', '-p', '-l', 'warn'], {
      stdio: 'ignore',
    });
    host = gobgpHost('lab', file(), state(), localShell('lab', { signal: AbortSignal.timeout(300_000) }));
  }, 60_000);
  afterAll(async () => {
    await host?.disarm().catch(() => undefined);
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('restores its own previous file when nobody confirms, and leaves no files behind', async () => {
    writeFileSync(file(), A);
    const t = await host.arm(2, A);
    expect([await host.pending(), await host.pending(t), await host.pending('0000000000000000')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(await host.previous()).toBe(A);
    await host.install(B, t);
    expect(running()).toBe(B);
    await expect.poll(() => running(), { timeout: 30_000, interval: 200 }).toBe(A);
    await expect.poll(() => host.pending(), { timeout: 30_000, interval: 200 }).toBe(false);
    expect(await host.previous()).toBeNull();
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it('refuses the install of an arm whose timer fired already: nothing is written over the restore', async () => {
    writeFileSync(file(), A);
    const t = await host.arm(1, A);
    await expect.poll(() => host.pending(t), { timeout: 30_000, interval: 200 }).toBe(false);
    await expect(host.install(B, t)).rejects.toThrow(
      'the revert timer is no longer armed (the confirm window ended before the candidate was written); nothing written',
    );
    expect(running()).toBe(A);
    expect(leftovers()).toEqual([]);
  }, 60_000);

  it("a confirm cancels its own arm only; a re-arm replaces the armed timer and keeps the new arm's files", async () => {
    writeFileSync(file(), A);
    const t = await host.arm(2, A);
    await host.install(B, t);
    expect(await host.disarm('0000000000000000')).toBe(false);
    expect(await host.pending(t)).toBe(true);
    expect(await host.disarm(t)).toBe(true);
    expect(await host.pending()).toBe(false);
    expect(leftovers()).toEqual([]);
    expect(await host.disarm(t)).toBe(false);
    expect(running()).toBe(B);

    const t1 = await host.arm(300, A);
    const t2 = await host.arm(2, B);
    writeFileSync(file(), A);
    expect([await host.pending(t1), await host.pending(t2)]).toEqual([false, true]);
    expect(leftovers().sort()).toEqual(
      [`previous-.*-${t2}\\.conf`, `revert-.*-${t2}\\.sh`, 'revert-[0-9a-f]+\\.pid'].map((p) =>
        expect.stringMatching(p),
      ),
    );
    await expect.poll(() => running(), { timeout: 30_000, interval: 200 }).toBe(B);
    await expect.poll(() => leftovers(), { timeout: 30_000, interval: 200 }).toEqual([]);
  }, 60_000);
});
