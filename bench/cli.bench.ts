// CLI benchmark: whole `peerdesk` processes against the tools they stand beside, as ratios from one run.
//   version: `peerdesk --version` vs `node -e 0` (same Node binary)             goal ≤ 1.5×
//   irr:     `peerdesk irr expand` of a ~77k-prefix AS-SET vs `bgpq4`, same IRR server   goal ≤ 1.0×
//   render:  `peerdesk render --template-file --context-file` vs Python Jinja2           goal ≤ 0.3×
// Runs are interleaved (A B A B …) so a busy machine slows both sides alike; figures are medians of wall
// time (the goals) and, where GNU time exists, of CPU time (steadier when other work shares the cores).
// dist/ is built first when stale (with the one-file bundles of irr and render), and each scenario also runs
// the per-file dist/ without the bundle, the TypeScript sources, and without the compile cache, to show what
// each measure is worth.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArinRoutes, originsByRouteCount } from '../test/support/arin-routes.ts';
import { startIrrdServer } from '../test/support/irrd-server.ts';
import { bigContext } from './render.bench.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const BIN = join(ROOT, 'bin', 'peerdesk.js');

interface Cmd {
  cmd: string;
  args: string[];
  env?: Record<string, string>;
}

interface Timed {
  times: number[];
  cpu: number[];
  stdout: string;
}

// GNU time reports each process's user+system CPU: on a busy machine that is steadier than wall time.
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** One whole process, asynchronously (the IRR server lives in this process); wall and CPU time in ms. */
function runOnce(c: Cmd): Promise<{ ms: number; cpu: number; stdout: string }> {
  const [cmd, args] = TIME ? [TIME, ['-f', '\n@cpu %U %S', c.cmd, ...c.args]] : [c.cmd, c.args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(
      cmd,
      args,
      { env: { ...process.env, ...c.env }, maxBuffer: 512 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const ms = performance.now() - t0;
        const m = /\n@cpu (\S+) (\S+)\s*$/.exec(stderr);
        if (err) reject(new Error(`${c.cmd} ${c.args.join(' ')} failed: ${stderr || err.message}`));
        else resolve({ ms, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN, stdout });
      },
    );
  });
}

/** Runs every command `reps` times, interleaved, after one untimed warm-up each (fills the compile cache). */
async function interleaved(cmds: Record<string, Cmd>, reps: number): Promise<Record<string, Timed>> {
  const out: Record<string, Timed> = {};
  for (const [name, c] of Object.entries(cmds)) out[name] = { times: [], cpu: [], stdout: (await runOnce(c)).stdout };
  for (let i = 0; i < reps; i++) {
    for (const [name, c] of Object.entries(cmds)) {
      const r = await runOnce(c);
      out[name].times.push(r.ms);
      out[name].cpu.push(r.cpu);
    }
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const r1 = (n: number) => Math.round(n * 10) / 10;
const r2 = (n: number) => Math.round(n * 100) / 100;

/** Wall-time medians in ms per command, `ratio_*` of each peerdesk variant against `base`, and the same for CPU time. */
function figures(t: Record<string, Timed>, base: string): Record<string, number> {
  const f: Record<string, number> = {};
  for (const [name, v] of Object.entries(t)) f[`${name}_ms`] = r1(median(v.times));
  for (const name of Object.keys(t))
    if (name !== base && name.startsWith('peerdesk'))
      f[`ratio_${name}`] = r2(median(t[name].times) / median(t[base].times));
  if (TIME) {
    for (const [name, v] of Object.entries(t)) f[`${name}_cpu_ms`] = Math.round(median(v.cpu));
    for (const name of Object.keys(t))
      if (name !== base && name.startsWith('peerdesk'))
        f[`cpu_ratio_${name}`] = r2(median(t[name].cpu) / median(t[base].cpu));
  }
  return f;
}

/** The peerdesk variants timed in every scenario: what ships (dist + compile cache) and without each measure. */
function variants(args: string[]): Record<string, Cmd> {
  return {
    peerdesk: { cmd: NODE, args: [BIN, ...args] },
    peerdesk_dist_files: { cmd: NODE, args: [BIN, ...args], env: { PEERDESK_CLI_CODE: 'dist' } },
    peerdesk_src: { cmd: NODE, args: [BIN, ...args], env: { PEERDESK_CLI_CODE: 'src' } },
    peerdesk_no_cache: { cmd: NODE, args: [BIN, ...args], env: { NODE_DISABLE_COMPILE_CACHE: '1' } },
  };
}

/** Which code `peerdesk ARGS` runs now (dist or src), as bin/peerdesk.js reports it. */
function codeRun(args: string[]): string {
  const r = spawnSync(NODE, [BIN, ...args], {
    env: { ...process.env, PEERDESK_CLI_DEBUG: '1' },
    encoding: 'utf8',
    maxBuffer: 512 << 20,
  });
  const dist = /peerdesk: running (dist(?: \(bundle \w+\))?)\n/.exec(r.stderr);
  return dist ? dist[1] : (r.stderr.match(/peerdesk: (running src[^\n]*)/)?.[1] ?? 'unknown');
}

/** The Python that `python3` on PATH really runs (pyenv and similar put a shell shim in front of it). */
function pythonInterpreter(): string {
  const r = spawnSync('python3', ['-c', 'import sys, jinja2; print(sys.executable)'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 with jinja2 is needed: ${r.stderr}`);
  return r.stdout.trim();
}

// A router config in plain Jinja2 (builtins only), so Python renders it with no extra filters.
const TEMPLATE = `{#- FRR-style BGP config from a Peerdesk render context -#}
hostname {{ router.name | default('edge') }}
!
router bgp {{ router.local_asn | default(64496) }}
 bgp router-id {{ router.router_id | default('192.0.2.1') }}
 no bgp ebgp-requires-policy
{%- for g in peer_groups %}
 neighbor {{ g.name }} peer-group
{%- if g.description %}
 neighbor {{ g.name }} description {{ g.description | replace('"', '') | truncate(60, True, '') }}
{%- endif %}
{%- endfor %}
{%- for s in sessions if s.enabled %}
 neighbor {{ s.remote_ip }} remote-as {{ s.peer_asn }}
 neighbor {{ s.remote_ip }} description {{ "%s (AS%d)" | format(s.peer_name | upper, s.peer_asn) }}
{%- if s.peer_group %}
 neighbor {{ s.remote_ip }} peer-group {{ s.peer_group }}
{%- endif %}
{%- if s.password %}
 neighbor {{ s.remote_ip }} password {{ s.password }}
{%- endif %}
{%- if s.ttl %}
 neighbor {{ s.remote_ip }} ttl-security hops {{ s.ttl }}
{%- endif %}
{%- endfor %}
 !
{%- for afi in ['ipv4', 'ipv6'] %}
 address-family {{ afi }} unicast
{%- for s in sessions | selectattr('enabled') | selectattr('ip_version', 'equalto', loop.index * 2 + 2) %}
  neighbor {{ s.remote_ip }} activate
{%- for af in s.address_families if af.prefix_list_in %}
  neighbor {{ s.remote_ip }} prefix-list {{ af.prefix_list_in }} in
{%- endfor %}
  neighbor {{ s.remote_ip }} maximum-prefix {{ s[afi ~ '_max_prefixes'] or 100 }}
{%- endfor %}
 exit-address-family
{%- endfor %}
!
{%- set asns = sessions | map(attribute='peer_asn') | unique | list %}
! {{ asns | length }} peer ASNs, {{ sessions | length }} sessions
`;

const PY_RENDER =
  'import sys, json, jinja2\nenv = jinja2.Environment(autoescape=False)\nsys.stdout.write(env.from_string(open(sys.argv[1]).read()).render(json.load(open(sys.argv[2]))))';

/** Runs the three scenarios and returns medians, ratios and goals. */
export async function run(): Promise<Record<string, unknown>> {
  const reps = Number(process.env.PEERDESK_BENCH_CLI_REPS ?? 15);
  const build = spawnSync(NODE, [join(ROOT, 'scripts', 'build-server.ts'), '--if-stale'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build-server failed: ${build.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-cli-bench-'));
  const out: Record<string, unknown> = { reps, node: process.version };
  try {
    // version
    const v = await interleaved({ node_e0: { cmd: NODE, args: ['-e', '0'] }, ...variants(['--version']) }, reps);
    const help = await interleaved(
      { node_e0: { cmd: NODE, args: ['-e', '0'] }, ...variants(['--help']) },
      Math.ceil(reps / 2),
    );
    out.version = { ...figures(v, 'node_e0'), output: v.peerdesk.stdout.trim() };
    out.help = { ...figures(help, 'node_e0'), code: codeRun(['--help']) };

    // irr: the biggest ARIN origins until the set holds ~77k IPv4 prefixes (as in irr.bench.ts).
    const routes = loadArinRoutes();
    const byOrigin = new Map<number, string[]>();
    for (const r of routes.v4) {
      const list = byOrigin.get(r.origin);
      if (list) list.push(r.prefix);
      else byOrigin.set(r.origin, [r.prefix]);
    }
    const members: string[] = [];
    const unique = new Set<string>();
    for (const { origin } of originsByRouteCount(routes.v4)) {
      if (unique.size >= 77_000) break;
      members.push(`AS${origin}`);
      for (const p of byOrigin.get(origin) ?? []) unique.add(p);
    }
    const server = await startIrrdServer({
      routes: routes.v4,
      asSets: [{ name: 'AS-BENCH-BIG', members, source: 'ARIN' }],
      sources: ['ARIN'],
    });
    try {
      const irrArgs = [
        'irr',
        'expand',
        'AS-BENCH-BIG',
        '-4',
        '--format',
        'json',
        '--name',
        'X',
        '--irr',
        server.address,
      ];
      const t = await interleaved(
        {
          bgpq4: { cmd: 'bgpq4', args: ['-h', server.address, '-4', '-j', '-l', 'X', 'AS-BENCH-BIG'] },
          ...variants(irrArgs),
        },
        reps,
      );
      const prefixes = (s: string) => (JSON.parse(s) as { X: Array<{ prefix: string }> }).X.map((e) => e.prefix);
      const b = prefixes(t.bgpq4.stdout);
      const p = prefixes(t.peerdesk.stdout);
      out.irr = {
        ...figures(t, 'bgpq4'),
        prefixes: p.length,
        identical: b.length === p.length && b.every((x, i) => x === p[i]),
        code: codeRun(irrArgs),
      };
    } finally {
      await server.close();
    }

    // render: the plain-Jinja2 template over 500 sessions (small) and 5,000 sessions (large).
    const tplFile = join(dir, 'frr.j2');
    writeFileSync(tplFile, TEMPLATE);
    const python = pythonInterpreter();
    const render: Record<string, unknown> = {
      python,
      python3_on_path_is_shim:
        python !== spawnSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8' }).stdout.trim(),
    };
    for (const [label, sessions] of [
      ['small', 500],
      ['large', 5000],
    ] as const) {
      const ctxFile = join(dir, `context-${sessions}.json`);
      writeFileSync(ctxFile, JSON.stringify(bigContext(sessions, 40)));
      const args = ['render', '--template-file', tplFile, '--context-file', ctxFile];
      const t = await interleaved(
        {
          python3_jinja2: { cmd: python, args: ['-c', PY_RENDER, tplFile, ctxFile] },
          python3_path: { cmd: 'python3', args: ['-c', PY_RENDER, tplFile, ctxFile] },
          ...variants(args),
        },
        label === 'small' ? reps : Math.ceil(reps / 3),
      );
      const f = figures(t, 'python3_jinja2');
      render[label] = {
        sessions,
        ...f,
        ratio_peerdesk_vs_python3_on_path: r2(median(t.peerdesk.times) / median(t.python3_path.times)),
        output_bytes: Buffer.byteLength(t.peerdesk.stdout),
        byte_identical: t.peerdesk.stdout === t.python3_jinja2.stdout,
        code: codeRun(args),
      };
    }
    out.render = render;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const version = out.version as Record<string, number>;
  const irr = out.irr as Record<string, number>;
  const small = (out.render as Record<string, Record<string, number>>).small;
  out.goals = {
    version_le_1_5x_node: version.ratio_peerdesk <= 1.5,
    irr_le_1x_bgpq4: irr.ratio_peerdesk <= 1,
    render_le_0_3x_python_jinja2: small.ratio_peerdesk <= 0.3,
    render_le_0_3x_python3_on_path: small.ratio_peerdesk_vs_python3_on_path <= 0.3,
  };
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((f) => console.log(JSON.stringify(f)));
}
