// One daemon lab (and sshd) per test file, started on first use and stopped after the file.
import { startDaemonLab, type DaemonLab } from './daemons.ts';
import { startSshd, type SshdHarness } from './sshd.ts';

/** Lazily started lab + sshd for one test file (`net` picks its 127.0.NET.0/24). */
export function sharedLab(net: number) {
  let lab: Promise<DaemonLab> | null = null;
  let sshd: Promise<SshdHarness> | null = null;
  return {
    lab: () => (lab ??= startDaemonLab({ net })),
    sshd: () => (sshd ??= startSshd()),
    async stop() {
      await Promise.allSettled([lab?.then((l) => l.stop()), sshd?.then((s) => s.stop())]);
    },
  };
}
