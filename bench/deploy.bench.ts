// Benchmark: the deploy diff (Peering Manager #206: over 50 minutes) — a 40,000-line FRR-style running
// configuration against a candidate with 500 changed lines (250 edited, 125 removed, 125 added, spread
// evenly through the file). (a) the unified diff the deployment stores (`diff` package, Myers on lines);
// (b) FRR's delta (both texts parsed to trees, the `no …` / add commands computed). Goal: each < 0.5 s.
import { performance } from 'node:perf_hooks';
import { createTwoFilesPatch } from 'diff';
import { frrDelta, ownedText } from '../src/drivers/frr/frr.config.ts';

/** A deterministic running config of about `lines` lines: neighbours, address families, prefix lists. */
export function runningConfig(lines = 40_000): string[] {
  const out: string[] = ['router bgp 64500', ' bgp router-id 192.0.2.1'];
  const peers: string[] = [];
  let i = 0;
  while (out.length < lines * 0.55) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    peers.push(ip);
    out.push(` neighbor ${ip} remote-as ${65000 + (i % 1000)}`, ` neighbor ${ip} description Peer ${i}`, ` neighbor ${ip} timers 10 30`);
    i++;
  }
  out.push(' address-family ipv4 unicast');
  for (const ip of peers) {
    if (out.length >= lines * 0.8) break;
    out.push(`  neighbor ${ip} route-map IMPORT in`);
  }
  out.push(' exit-address-family', 'exit');
  let seq = 0;
  while (out.length < lines) {
    seq += 5;
    out.push(`ip prefix-list AS-BIG seq ${seq} permit 172.${(seq >> 8) & 255}.${seq & 255}.0/24`);
  }
  return out;
}

/** The candidate: 500 changed lines at evenly spread positions: 250 edited, 125 removed, 125 added. */
export function candidateOf(running: string[]): string[] {
  const out = [...running];
  const step = Math.floor((running.length - 10) / 500);
  // From the end so earlier indexes stay valid.
  for (let k = 499; k >= 0; k--) {
    const at = 5 + k * step;
    const line = out[at]!;
    if (k % 4 === 0) out.splice(at, 1);
    else if (k % 4 === 1) out.splice(at + 1, 0, `${line.match(/^\s*/)![0]}${line.trim().startsWith('ip prefix-list') ? `ip prefix-list AS-NEW seq ${k} permit 100.64.${k & 255}.0/24` : `neighbor 10.255.${k >> 8}.${k & 255} remote-as 64999`}`);
    else out[at] = `${line} (changed)`;
  }
  return out;
}

function best(fn: () => void, runs = 5): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

export async function run(): Promise<Record<string, unknown>> {
  const running = runningConfig();
  const candidate = candidateOf(running);
  const a = `${running.join('\n')}\n`;
  const b = `${candidate.join('\n')}\n`;
  let patch = '';
  const diffS = best(() => {
    patch = createTwoFilesPatch('running', 'candidate', a, b, undefined, undefined, { context: 3 });
  });
  const plus = patch.split('\n').filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const minus = patch.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  let changes = 0;
  const deltaS = best(() => {
    changes = frrDelta(a, b).length;
  });
  const ownedS = best(() => {
    ownedText(a);
    ownedText(b);
  });
  return {
    running_lines: running.length,
    candidate_lines: candidate.length,
    diff_added_lines: plus,
    diff_removed_lines: minus,
    unified_diff_s: Number(diffS.toFixed(4)),
    frr_delta_commands: changes,
    frr_delta_s: Number(deltaS.toFixed(4)),
    frr_owned_text_s: Number(ownedS.toFixed(4)),
    goal_s: 0.5,
    ok: diffS < 0.5 && deltaS < 0.5,
  };
}
