// The FRR revert timer against the lab's real bgpd (127.0.15.0/24), run on this machine (`sh -c`, dash on
// Debian) and on the same host over a real sshd: a timer that nobody confirms restores the previous
// configuration and leaves no files; an apply after its timer fired is refused (nothing changes under
// the restore); a confirm and a re-arm cancel only their own arm and leave no files; a pid file left
// pointing at another live process is not taken for a pending timer and that process is not killed.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labSkipReason } from '../../../test/support/lab.ts';
import { daemonLabMissing, type DaemonLab } from '../../../test/support/lab/daemons.ts';
import { sshdMissing, type SshdHarness } from '../../../test/support/lab/sshd.ts';
import { sharedLab } from '../../../test/support/lab/shared.ts';
import { localShell } from '../transports/host-timer.ts';
import { openSsh, type SshConnection } from '../transports/ssh.ts';
import { frrRevert, revertKey, sshRevert, type RevertTimer } from './frr.revert.ts';

const skip =
  labSkipReason('bgpd', 'frr') ??
  labSkipReason('bird', 'bird2') ??
  labSkipReason('gobgpd', 'gobgpd') ??
  daemonLabMissing() ??
  labSkipReason('sshd', 'openssh-server') ??
  sshdMissing();
const NET = 15;
const shared = sharedLab(NET);
afterAll(() => shared.stop(), 60_000);

const PEER = `127.0.${NET}.50`;

describe.skipIf(skip)('the FRR revert timer', () => {
  let lab: DaemonLab;
  let sshd: SshdHarness;
  let conn: SshConnection | null = null;
  let dir = '';
  const timers: { name: string; timer: () => RevertTimer; state: () => string }[] = [];
  let local: RevertTimer;
  let remote: RevertTimer;
  const asn = () => lab.nodes.frr.asn;
  const add = () => ['configure terminal', `router bgp ${asn()}`, `neighbor ${PEER} remote-as 65050`];
  const remove = () => ['configure terminal', `router bgp ${asn()}`, `no neighbor ${PEER}`];
  const hasPeer = async () => (await lab.vtysh('show running-config')).includes(`neighbor ${PEER} remote-as 65050`);
  const reset = async () => {
    if (await hasPeer()) await lab.vtysh(...remove());
  };

  beforeAll(async () => {
    [lab, sshd] = await Promise.all([shared.lab(), shared.sshd()]);
    dir = mkdtempSync(join(tmpdir(), 'pd-frr-revert-'));
    local = frrRevert(
      'lab-frr',
      join(dir, 'state'),
      lab.frrVtyDir,
      localShell('lab-frr', { signal: AbortSignal.timeout(600_000) }),
    );
    const opened = await openSsh(
      'lab-frr-ssh',
      `ssh://${sshd.user}@127.0.0.1:${sshd.port}${lab.frrVtyDir}`,
      { ssh_private_key: sshd.privateKey, ssh_host_key: sshd.hostKeyFingerprint },
      { signal: AbortSignal.timeout(600_000), timeoutMs: 30_000 },
    );
    conn = opened.conn;
    remote = sshRevert('lab-frr-ssh', opened.conn, opened.path);
    timers.push(
      { name: 'local (vtysh:)', timer: () => local, state: () => join(dir, 'state') },
      { name: 'over SSH', timer: () => remote, state: () => '/tmp/peerdesk-frr' },
    );
  }, 120_000);
  afterAll(async () => {
    await local?.disarm().catch(() => undefined);
    await remote?.disarm().catch(() => undefined);
    await conn?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    // The SSH timer's lock (its state dir is shared with other routers on this host).
    if (lab) rmSync(`/tmp/peerdesk-frr/revert-${revertKey(lab.frrVtyDir)}.lock`, { force: true });
  });

  /** This router's timer files besides its lock: none once nothing is armed. */
  const leftovers = (state: string) => {
    const key = revertKey(lab.frrVtyDir);
    try {
      return readdirSync(state).filter((f) => f.includes(key) && !f.endsWith('.lock'));
    } catch {
      return [];
    }
  };

  describe.each([
    ['local (vtysh:)', 0],
    ['over SSH', 1],
  ] as const)('%s', (_name, i) => {
    const t = () => timers[i]!.timer();
    const files = () => leftovers(timers[i]!.state());

    it('restores the previous configuration when nobody confirms, and leaves no files behind', async () => {
      await reset();
      const before = await lab.vtysh('show running-config');
      const token = await t().arm(2, remove(), before);
      expect([await t().pending(), await t().pending(token), await t().pending('0000000000000000')]).toEqual([
        true,
        true,
        false,
      ]);
      expect(await t().previous()).toBe(before);
      await t().apply(add(), token);
      expect(await hasPeer()).toBe(true);
      await expect.poll(hasPeer, { timeout: 30_000, interval: 200 }).toBe(false);
      await expect.poll(() => t().pending(), { timeout: 30_000, interval: 200 }).toBe(false);
      expect(await t().previous()).toBeNull();
      await expect.poll(files, { timeout: 30_000, interval: 200 }).toEqual([]);
    }, 90_000);

    it('refuses the apply of an arm whose timer fired already: nothing changes under the restore', async () => {
      await reset();
      const token = await t().arm(1, remove(), await lab.vtysh('show running-config'));
      await expect.poll(() => t().pending(token), { timeout: 30_000, interval: 200 }).toBe(false);
      await expect(t().apply(add(), token)).rejects.toThrow(
        'the revert timer is no longer armed (the confirm window ended): it restored the previous configuration; nothing changed',
      );
      // A re-arm of that arm is refused the same way, and starts nothing.
      await expect(t().arm(300, remove(), 'x', token)).rejects.toThrow('the revert timer is no longer armed');
      expect(await t().pending()).toBe(false);
      expect(await hasPeer()).toBe(false);
      await expect.poll(files, { timeout: 30_000, interval: 200 }).toEqual([]);
      expect(await t().disarm(token)).toBe(false);
    }, 90_000);

    it("a confirm cancels its own arm only; a re-arm replaces its arm and keeps only the new arm's files", async () => {
      await reset();
      const before = await lab.vtysh('show running-config');
      const token = await t().arm(3, remove(), before);
      await t().apply(add(), token);
      expect(await t().disarm('0000000000000000')).toBe(false);
      expect(await t().pending(token)).toBe(true);
      expect(await t().disarm(token)).toBe(true);
      expect(await t().pending()).toBe(false);
      expect(files()).toEqual([]);
      expect(await t().disarm(token)).toBe(false);
      expect(await hasPeer()).toBe(true);

      await lab.vtysh(...remove());
      const t1 = await t().arm(300, remove(), before);
      await t().apply(add(), t1);
      const t2 = await t().arm(300, remove(), before, t1);
      expect([await t().pending(t1), await t().pending(t2)]).toEqual([false, true]);
      expect(files().sort()).toEqual(
        [`previous-.*-${t2}\\.conf`, `revert-.*-${t2}\\.sh`, 'revert-[0-9a-f]+\\.pid'].map((p) =>
          expect.stringMatching(p),
        ),
      );
      expect(await t().disarm(t2)).toBe(true);
      expect(files()).toEqual([]);
      expect(await hasPeer()).toBe(true);
      await lab.vtysh(...remove());
    }, 90_000);
  });

  it('a pid file pointing at another live process is not a pending timer, and that process is not killed', async () => {
    const other = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
    try {
      const pid = other.pid!;
      const state = join(dir, 'state');
      writeFileSync(join(state, `revert-${revertKey(lab.frrVtyDir)}.pid`), `${pid} 0123456789abcdef\n`);
      expect(await local.pending()).toBe(false);
      expect(await local.previous()).toBeNull();
      expect(await local.disarm()).toBe(false);
      // Arming over the stale entry does not kill it either.
      const token = await local.arm(300, remove(), 'x');
      expect(await local.disarm(token)).toBe(true);
      expect(await local.pending()).toBe(false); // one more round trip: a kill would have been seen by now
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]![0]).not.toBe('Z');
      expect(other.exitCode).toBeNull();
      expect(other.signalCode).toBeNull();
      expect(() => process.kill(pid, 0)).not.toThrow();
      expect(leftovers(state)).toEqual([]);
    } finally {
      other.kill('SIGKILL');
    }
  }, 60_000);
});
