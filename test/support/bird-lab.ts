// Two real BIRD 2 daemons peering over loopback: "edge" (our router, AS64500, polled through its
// control socket) and "peer" (AS64501, announcing two prefixes); 127.0.0.3 never answers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BirdLab {
  dir: string;
  /** The control socket of our router, as a Peerdesk router hostname. */
  edgeHostname: string;
  birdc(name: 'edge' | 'peer', ...cmd: string[]): string;
  /** Waits until edge has the session up with both routes imported. */
  waitEstablished(): Promise<void>;
  stop(): void;
}

function conf(
  routerId: string,
  local: string,
  localPort: number,
  as: number,
  neighbors: { ip: string; port: number; as: number; name: string }[],
  routes: string[],
): string {
  return `router id ${routerId};
timeformat protocol iso long;
protocol device {}
protocol static announced { ipv4; ${routes.map((r) => `route ${r} blackhole;`).join(' ')} }
${neighbors
  .map(
    (n) => `protocol bgp ${n.name} {
  local ${local} port ${localPort} as ${as};
  neighbor ${n.ip} port ${n.port} as ${n.as};
  multihop 2; hold time 9; connect retry time 1;
  ipv4 { import all; export all; };
}`,
  )
  .join('\n')}
`;
}

/** Starts both daemons on ports derived from `basePort` (distinct per test file). */
export async function startBirdLab(basePort: number): Promise<BirdLab> {
  const dir = mkdtempSync(join(tmpdir(), 'pd-bird-'));
  const started: string[] = [];
  const start = (name: string, text: string) => {
    writeFileSync(join(dir, `${name}.conf`), text);
    execFileSync('bird', [
      '-c',
      join(dir, `${name}.conf`),
      '-s',
      join(dir, `${name}.ctl`),
      '-P',
      join(dir, `${name}.pid`),
    ]);
    started.push(name);
  };
  const birdc = (name: string, ...cmd: string[]) =>
    execFileSync('birdc', ['-s', join(dir, `${name}.ctl`), ...cmd], { encoding: 'utf8' });
  start(
    'edge',
    conf(
      '192.0.2.1',
      '127.0.0.1',
      basePort,
      64500,
      [
        { ip: '127.0.0.2', port: basePort + 1, as: 64501, name: 'peer_b' },
        { ip: '127.0.0.3', port: basePort + 2, as: 64502, name: 'dead_c' },
      ],
      ['192.0.2.0/24'],
    ),
  );
  start(
    'peer',
    conf(
      '192.0.2.2',
      '127.0.0.2',
      basePort + 1,
      64501,
      [{ ip: '127.0.0.1', port: basePort, as: 64500, name: 'edge_a' }],
      ['198.51.100.0/24', '203.0.113.0/24'],
    ),
  );
  const lab: BirdLab = {
    dir,
    edgeHostname: `unix:${join(dir, 'edge.ctl')}`,
    birdc,
    async waitEstablished() {
      for (let i = 0; i < 150; i++) {
        // Up, and both of the peer's routes imported (they follow the OPEN by a moment).
        if (/Routes:\s+2 imported/.test(birdc('edge', 'show', 'protocols', 'all', 'peer_b'))) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('BIRD session did not come up');
    },
    stop() {
      for (const name of started) {
        try {
          process.kill(Number(readFileSync(join(dir, `${name}.pid`), 'utf8')), 'SIGTERM');
        } catch {}
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await lab.waitEstablished();
  return lab;
}
