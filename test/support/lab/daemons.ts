// A real BGP lab on loopback: FRR bgpd (no zebra), BIRD 2 and GoBGP peering in a triangle, each
// announcing its own prefixes with next hops in 198.18.0.0/24 (LAB-NOTES: 127.x next hops are martian).
// Daemons run as `nobody` when the suite runs as root. Every lab gets its own 127.0.NET.0/24 so several
// can run at once: NET 1–3 are used by test/lab/drivers-*.test.ts; other tests pick NET ≥ 4.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTool } from '../lab.ts';

const execFileP = promisify(execFile);

export type LabDaemon = 'frr' | 'bird' | 'gobgp';

export interface LabNode {
  daemon: LabDaemon;
  ip: string;
  asn: number;
  /** Prefixes this daemon originates (and only these are exported). */
  prefixes: string[];
  /** The next hop it sets on its announcements. */
  nextHop: string;
}

export interface DaemonLab {
  dir: string;
  net: number;
  port: number;
  /** GoBGP gRPC API port (on the GoBGP node's address). */
  apiPort: number;
  nodes: Record<LabDaemon, LabNode>;
  /** Peerdesk router hostnames reaching each daemon locally. */
  hostnames: { frr: string; bird: string; gobgp: string };
  /** FRR's vty socket dir and BIRD's control socket (for SSH hostnames and allowed socket dirs). */
  frrVtyDir: string;
  birdSocket: string;
  /** Directory BIRD's protocols include `NAME.*` from (PEERDESK_BIRD_STATE_DIR for the BIRD driver). */
  birdStateDir: string;
  /** Stops BIRD and starts it again from its configuration file (runtime state is lost). */
  restartBird(): Promise<void>;
  /** BIRD's protocol name for a neighbour daemon (`frr`, `gobgp`). */
  birdProtocol(peer: LabDaemon): string;
  /** Runs FRR's own vtysh with one or more commands (each `-c`). */
  vtysh(...commands: string[]): Promise<string>;
  /** Runs birdc with one command line. */
  birdc(command: string): Promise<string>;
  /** Runs the gobgp CLI against the lab's gobgpd. */
  gobgp(...args: string[]): Promise<string>;
  /**
   * Adds a neighbour through the daemon's own CLI, behind Peerdesk's back (FRR: vtysh config;
   * BIRD: a protocol appended to its config, then `configure`; GoBGP: `gobgp neighbor add`).
   * Nothing answers at `ip`, so the session stays down. Returns BIRD's protocol name (or the ip).
   */
  addNeighbor(daemon: LabDaemon, n: { ip: string; asn: number; description?: string }): Promise<string>;
  /** Removes a neighbour added with addNeighbor. */
  removeNeighbor(daemon: LabDaemon, ip: string): Promise<void>;
  /** True when `from` sees its session to `to` Established (asking `from`'s own CLI). */
  isEstablished(from: LabDaemon, to: LabDaemon): Promise<boolean>;
  /** Polls (bounded) until every session of the triangle is Established with the routes received. */
  waitAllEstablished(timeoutMs?: number): Promise<void>;
  /** Polls (bounded) until `from` sees its session to `to` up or not up. */
  waitSession(from: LabDaemon, to: LabDaemon, up: boolean, timeoutMs?: number): Promise<void>;
  /** Kills every daemon and removes the lab directory (safe to call twice). */
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Third octet of the lab's addresses (127.0.NET.1–3). */
  net: number;
  /** BGP port shared by the three daemons (each binds its own address); default 21790. */
  port?: number;
  /** GoBGP API port; default port + 1. */
  apiPort?: number;
}

const RUN_AS = process.getuid?.() === 0 ? ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] : [];

/** Reason the daemon lab cannot run here, or null (for `describe.skipIf` together with labSkipReason). */
export function daemonLabMissing(): string | null {
  for (const [tool, pkg] of [
    ['bgpd', 'frr'],
    ['vtysh', 'frr'],
    ['bird', 'bird2'],
    ['birdc', 'bird2'],
    ['gobgpd', 'gobgpd'],
    ['gobgp', 'gobgpd'],
  ] as const) {
    if (!findTool(tool)) return `${tool} not installed (Debian package ${pkg})`;
  }
  return null;
}

function frrConf(lab: { nodes: Record<LabDaemon, LabNode>; port: number }): string {
  const me = lab.nodes.frr;
  const peers = [lab.nodes.bird, lab.nodes.gobgp];
  return `frr defaults traditional
hostname lab-frr
!
ip prefix-list OWN seq 5 permit ${me.prefixes[0]}
${me.prefixes
  .slice(1)
  .map((p, i) => `ip prefix-list OWN seq ${10 + i * 5} permit ${p}`)
  .join('\n')}
!
route-map EXPORT permit 10
 match ip address prefix-list OWN
 set ip next-hop ${me.nextHop}
!
route-map IMPORT permit 10
!
router bgp ${me.asn}
 bgp router-id ${me.ip}
 no bgp ebgp-requires-policy
 no bgp network import-check
 timers bgp 3 9
${peers
  .map(
    (p) => ` neighbor ${p.ip} remote-as ${p.asn}
 neighbor ${p.ip} port ${lab.port}
 neighbor ${p.ip} update-source ${me.ip}
 neighbor ${p.ip} ebgp-multihop 2
 neighbor ${p.ip} timers connect 1
 neighbor ${p.ip} description lab ${p.daemon}`,
  )
  .join('\n')}
 !
 address-family ipv4 unicast
${me.prefixes.map((p) => `  network ${p}`).join('\n')}
${peers.map((p) => `  neighbor ${p.ip} route-map EXPORT out\n  neighbor ${p.ip} route-map IMPORT in`).join('\n')}
 exit-address-family
!
`;
}

function birdConf(lab: { nodes: Record<LabDaemon, LabNode>; port: number; dir: string }): string {
  const me = lab.nodes.bird;
  return `router id ${me.ip};
log "${join(lab.dir, 'bird', 'bird.log')}" all;
timeformat protocol iso long;
protocol device {}
# Lets BIRD resolve the 198.18.0.0/24 next hops of the other daemons; nothing goes to the kernel.
protocol static nexthops { ipv4; route 198.18.0.0/24 via "lo"; }
protocol static own_routes { ipv4; ${me.prefixes.map((p) => `route ${p} blackhole;`).join(' ')} }
template bgp lab_peer {
  local ${me.ip} port ${lab.port} as ${me.asn};
  multihop 2;
  strict bind yes;
  connect retry time 1;
  error wait time 1, 5;
  hold time 9;
  ipv4 { import all; export where proto = "own_routes"; next hop address ${me.nextHop}; };
}
${(['frr', 'gobgp'] as const)
  .map((d) => {
    const p = lab.nodes[d];
    // Peerdesk's persistent admin state (PEERDESK_BIRD_STATE_DIR): `NAME.disabled` files, if any.
    return `protocol bgp ${d} from lab_peer {\n  include "${join(lab.dir, 'bird', 'state')}/${d}.*";\n  description "lab ${d}";\n  neighbor ${p.ip} port ${lab.port} as ${p.asn};\n}`;
  })
  .join('\n')}
`;
}

function gobgpConf(lab: { nodes: Record<LabDaemon, LabNode>; port: number }): string {
  const me = lab.nodes.gobgp;
  return `[global.config]
  as = ${me.asn}
  router-id = "${me.ip}"
  port = ${lab.port}
  local-address-list = ["${me.ip}"]

[global.apply-policy.config]
  export-policy-list = ["own-only"]
  default-export-policy = "reject-route"

[[defined-sets.prefix-sets]]
  prefix-set-name = "own"
${me.prefixes.map((p) => `  [[defined-sets.prefix-sets.prefix-list]]\n    ip-prefix = "${p}"`).join('\n')}

[[policy-definitions]]
  name = "own-only"
  [[policy-definitions.statements]]
    [policy-definitions.statements.conditions.match-prefix-set]
      prefix-set = "own"
    [policy-definitions.statements.actions]
      route-disposition = "accept-route"

${(['frr', 'bird'] as const)
  .map((d) => {
    const p = lab.nodes[d];
    return `[[neighbors]]
  [neighbors.config]
    neighbor-address = "${p.ip}"
    peer-as = ${p.asn}
    description = "lab ${d}"
  [neighbors.transport.config]
    local-address = "${me.ip}"
    remote-port = ${lab.port}
  [neighbors.ebgp-multihop.config]
    enabled = true
    multihop-ttl = 2
  [neighbors.timers.config]
    connect-retry = 1
    hold-time = 9
    keepalive-interval = 3
`;
  })
  .join('\n')}`;
}

/** Starts FRR, BIRD and GoBGP on 127.0.NET.1–3 and waits until the triangle is Established. */
export async function startDaemonLab(options: LabOptions): Promise<DaemonLab> {
  const net = options.net;
  const port = options.port ?? 21790;
  const apiPort = options.apiPort ?? port + 1;
  const dir = mkdtempSync(join(tmpdir(), `pd-lab${net}-`));
  chmodSync(dir, 0o711); // the daemons (nobody) must traverse it
  const ip = (n: number) => `127.0.${net}.${n}`;
  const nodes: Record<LabDaemon, LabNode> = {
    frr: {
      daemon: 'frr',
      ip: ip(1),
      asn: 65001,
      prefixes: ['203.0.113.0/26', '203.0.113.64/26'],
      nextHop: '198.18.0.1',
    },
    bird: { daemon: 'bird', ip: ip(2), asn: 65002, prefixes: ['198.51.100.0/25'], nextHop: '198.18.0.2' },
    gobgp: {
      daemon: 'gobgp',
      ip: ip(3),
      asn: 65003,
      prefixes: ['192.0.2.0/26', '192.0.2.64/26', '192.0.2.128/26'],
      nextHop: '198.18.0.3',
    },
  };
  const sub = (name: string) => {
    const d = join(dir, name);
    mkdirSync(d, { mode: 0o755 });
    if (RUN_AS.length) chownSync(d, 65534, 65534);
    return d;
  };
  const frrDir = sub('frr');
  const birdDir = sub('bird');
  const gobgpDir = sub('gobgp');
  mkdirSync(join(birdDir, 'state'), { mode: 0o755 });
  const base = { nodes, port, dir };
  writeFileSync(join(frrDir, 'bgpd.conf'), frrConf(base));
  // bgpd (nobody) owns its configuration, as a packaged FRR owns /etc/frr: `write memory` after an admin
  // change backs the old file up with a hard link, which the kernel refuses on another user's file.
  if (RUN_AS.length) chownSync(join(frrDir, 'bgpd.conf'), 65534, 65534);
  writeFileSync(join(birdDir, 'bird.conf'), birdConf(base));
  writeFileSync(join(gobgpDir, 'gobgpd.toml'), gobgpConf(base));
  const birdSocket = join(birdDir, 'bird.ctl');
  const children: ChildProcess[] = [];
  // If the test process dies without teardown, take the daemons with it.
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const pids: number[] = [];
  let stopped = false;

  const spawnDaemon = (argv: string[], logFile: string) => {
    const [cmd, ...args] = [...RUN_AS, ...argv];
    const out = join(dir, logFile);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
    let log = '';
    const keep = (b: Buffer) => {
      log = (log + b.toString()).slice(-20_000);
      try {
        writeFileSync(out, log);
      } catch {
        /* lab dir removed */
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    children.push(child);
    return child;
  };

  const bgpd = findTool('bgpd')!;
  spawnDaemon(
    [
      bgpd,
      '-Z',
      '-S',
      '-n',
      '-l',
      nodes.frr.ip,
      '-p',
      String(port),
      '-P',
      '0',
      '--vty_socket',
      frrDir,
      '-i',
      join(frrDir, 'bgpd.pid'),
      '-f',
      join(frrDir, 'bgpd.conf'),
    ],
    'frr.out',
  );
  // BIRD forks into the background unless -f; keep it in the foreground so the child is the daemon.
  const birdArgv = ['bird', '-f', '-c', join(birdDir, 'bird.conf'), '-s', birdSocket, '-P', join(birdDir, 'bird.pid')];
  let birdChild = spawnDaemon(birdArgv, 'bird.out');
  spawnDaemon(
    [
      'gobgpd',
      '-f',
      join(gobgpDir, 'gobgpd.toml'),
      '-p',
      '--api-hosts',
      `${nodes.gobgp.ip}:${apiPort}`,
      '--pprof-disable',
      '-l',
      'warn',
    ],
    'gobgp.out',
  );

  const run = async (cmd: string, args: string[], timeout = 15_000) =>
    (await execFileP(cmd, args, { encoding: 'utf8', timeout })).stdout;
  const vtysh = (...commands: string[]) =>
    run('vtysh', ['--vty_socket', frrDir, '-H', '/dev/null', ...commands.flatMap((c) => ['-c', c])]);
  const birdc = (command: string) => run('birdc', ['-s', birdSocket, command]);
  const gobgp = (...args: string[]) => run('gobgp', ['-u', nodes.gobgp.ip, '-p', String(apiPort), ...args]);

  const isEstablished = async (from: LabDaemon, to: LabDaemon): Promise<boolean> => {
    const peer = nodes[to];
    try {
      if (from === 'frr') {
        const j = JSON.parse(await vtysh('show bgp summary json'));
        return j.ipv4Unicast?.peers?.[peer.ip]?.state === 'Established';
      }
      if (from === 'bird') return /BGP state:\s+Established/.test(await birdc(`show protocols all ${to}`));
      const j = JSON.parse(await gobgp('neighbor', peer.ip, '-j'));
      return j.state?.session_state === 6;
    } catch {
      return false;
    }
  };
  const routesIn = async (): Promise<boolean> => {
    try {
      const f = JSON.parse(await vtysh('show bgp summary json')).ipv4Unicast?.peers ?? {};
      const b = await birdc('show protocols all');
      const g = JSON.parse(await gobgp('neighbor', '-j')) as {
        conf: { neighbor_address: string };
        afi_safis?: { state?: { received?: number } }[];
      }[];
      const gRecv = (a: string) => g.find((n) => n.conf.neighbor_address === a)?.afi_safis?.[0]?.state?.received ?? 0;
      const birdImported = [...b.matchAll(/Routes:\s+(\d+) imported/g)].map((m) => Number(m[1]));
      return (
        f[nodes.bird.ip]?.pfxRcd === nodes.bird.prefixes.length &&
        f[nodes.gobgp.ip]?.pfxRcd === nodes.gobgp.prefixes.length &&
        birdImported.includes(nodes.frr.prefixes.length) &&
        birdImported.includes(nodes.gobgp.prefixes.length) &&
        gRecv(nodes.frr.ip) === nodes.frr.prefixes.length &&
        gRecv(nodes.bird.ip) === nodes.bird.prefixes.length
      );
    } catch {
      return false;
    }
  };
  const logs = () =>
    ['frr.out', 'bird.out', 'gobgp.out']
      .map((f) => `\n--- ${f}\n${existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').slice(-2000) : ''}`)
      .join('');
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (stopped) throw new Error('lab stopped');
      const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
      if (dead)
        throw new Error(
          `lab ${net}: ${dead.spawnargs.join(' ')} exited (${dead.exitCode ?? dead.signalCode})${logs()}`,
        );
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`lab ${net}: ${what} not reached within ${timeoutMs / 1000} s${logs()}`);
  };

  const lab: DaemonLab = {
    dir,
    net,
    port,
    apiPort,
    nodes,
    hostnames: { frr: `vtysh:${frrDir}`, bird: `unix:${birdSocket}`, gobgp: `grpc://${nodes.gobgp.ip}:${apiPort}` },
    frrVtyDir: frrDir,
    birdSocket,
    birdStateDir: join(birdDir, 'state'),
    async restartBird() {
      const old = birdChild;
      if (old.exitCode === null && old.signalCode === null) {
        const exited = new Promise((r) => old.once('exit', r));
        old.kill('SIGTERM');
        await exited;
      }
      children.splice(children.indexOf(old), 1);
      if (old.pid) pids.push(old.pid);
      birdChild = spawnDaemon(birdArgv, 'bird.out');
      await until(
        'BIRD control socket after restart',
        async () => {
          try {
            await birdc('show status');
            return true;
          } catch {
            return false;
          }
        },
        30_000,
      );
    },
    birdProtocol: (peer) => peer,
    vtysh,
    birdc,
    gobgp,
    isEstablished,
    async addNeighbor(daemon, n) {
      if (daemon === 'frr') {
        await vtysh(
          'configure terminal',
          `router bgp ${nodes.frr.asn}`,
          `neighbor ${n.ip} remote-as ${n.asn}`,
          ...(n.description ? [`neighbor ${n.ip} description ${n.description}`] : []),
        );
        return n.ip;
      }
      if (daemon === 'bird') {
        const name = `extra_${n.ip.replace(/[^0-9a-f]/gi, '_')}`;
        const conf = join(birdDir, 'bird.conf');
        writeFileSync(
          conf,
          `${readFileSync(conf, 'utf8')}\nprotocol bgp ${name} from lab_peer {\n  neighbor ${n.ip} port ${port} as ${n.asn};\n${n.description ? `  description "${n.description}";\n` : ''}}\n`,
        );
        const out = await birdc('configure');
        if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`BIRD configure: ${out}`);
        return name;
      }
      await gobgp('neighbor', 'add', n.ip, 'as', String(n.asn));
      return n.ip;
    },
    async removeNeighbor(daemon, ip) {
      if (daemon === 'frr') await vtysh('configure terminal', `router bgp ${nodes.frr.asn}`, `no neighbor ${ip}`);
      else if (daemon === 'bird') {
        const conf = join(birdDir, 'bird.conf');
        const name = `extra_${ip.replace(/[^0-9a-f]/gi, '_')}`;
        writeFileSync(
          conf,
          readFileSync(conf, 'utf8').replace(new RegExp(`\\nprotocol bgp ${name} from lab_peer \\{[^}]*\\}\\n`), ''),
        );
        const out = await birdc('configure');
        if (!/Reconfigured|Reconfiguration in progress/.test(out)) throw new Error(`BIRD configure: ${out}`);
      } else await gobgp('neighbor', 'del', ip);
    },
    async waitAllEstablished(timeoutMs = 60_000) {
      const pairs: [LabDaemon, LabDaemon][] = [
        ['frr', 'bird'],
        ['frr', 'gobgp'],
        ['bird', 'frr'],
        ['bird', 'gobgp'],
        ['gobgp', 'frr'],
        ['gobgp', 'bird'],
      ];
      await until(
        'all sessions Established with routes',
        async () =>
          (await Promise.all(pairs.map(([a, b]) => isEstablished(a, b)))).every(Boolean) && (await routesIn()),
        timeoutMs,
      );
    },
    async waitSession(from, to, up, timeoutMs = 60_000) {
      await until(
        `${from}→${to} ${up ? 'Established' : 'down'}`,
        async () => (await isEstablished(from, to)) === up,
        timeoutMs,
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', killAll);
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }
      await Promise.all(
        children.map((c) =>
          c.exitCode !== null || c.signalCode !== null ? null : new Promise((r) => c.once('exit', r)),
        ),
      );
      for (const c of children) if (c.pid) pids.push(c.pid);
      // bgpd writes a crash-log file named after its pid; a SIGKILL leaves it behind.
      for (const pid of pids) rmSync(`/var/tmp/frr/bgpd.${pid}`, { force: true, recursive: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    // gobgpd cannot originate from its TOML: add the routes over its API once it answers.
    await until(
      'gobgpd API',
      async () => {
        try {
          await gobgp('global');
          return true;
        } catch {
          return false;
        }
      },
      30_000,
    );
    for (const p of nodes.gobgp.prefixes)
      await gobgp('global', 'rib', 'add', p, 'nexthop', nodes.gobgp.nextHop, 'origin', 'igp');
    await lab.waitAllEstablished();
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return lab;
}

/** Kills a pid quietly (used by harnesses that start daemons outside a ChildProcess). */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** Synchronous command runner for fixture capture scripts. */
export function runSync(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}
