// Benchmark: the Junos template over a router with 5,000 sessions in 40 peer groups, Peerdesk vs Python Jinja2.
// (a) template stage alone, timed in-process on both sides; (b) whole process: `peerdesk render` vs a python3 script.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createPeerdeskEnvironment } from '../src/templates/environment.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// A Peering Manager-style Junos template (the first shipped junos.j2): the Python copies of its filters
// below let Jinja2 render the very same text, so both engines are timed on identical work.
const TEMPLATE = join(ROOT, 'bench', 'fixtures', 'junos-pm.j2');

/** A deterministic large context: 5,000 sessions (v4/v6), 40 peer groups, 2,500 peer ASes, 2 fabrics. */
export function bigContext(sessionCount = 5000, groupCount = 40): Record<string, unknown> {
  const base = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'render-context.json'), 'utf8')) as Record<
    string,
    any
  >;
  const pol = (name: string, weight: number) => ({ name, slug: name.toLowerCase(), weight });
  const groups = Array.from({ length: groupCount }, (_, g) => ({
    id: g + 1,
    name: `GROUP-${String(g + 1).padStart(2, '0')}`,
    description: `Peer group ${g + 1}`,
    remote_asn: g % 10 === 0 ? 64500 + g : null,
    ttl: g % 7 === 0 ? 2 : null,
    multihop: g % 7 === 0 ? 2 : null,
    bfd_profile: g % 3 === 0 ? 'fast' : null,
    password: null,
    address_families: [],
    import_routing_policies: [pol(`G${g}-IN`, 20)],
    export_routing_policies: [pol(`G${g}-OUT`, 20)],
    session_ids: [] as number[],
    config_context: {},
  }));
  const ases = Array.from({ length: sessionCount / 2 }, (_, i) => ({
    id: i + 10,
    asn: 65000 + i,
    name: `Peer Network ${i} Ünïcode`,
    affiliated: false,
    irr_as_set: `RIPE::AS-PEER${i}`,
    ipv4_max_prefixes: 100 + i,
    ipv6_max_prefixes: 10 + (i % 50),
    peeringdb_id: 1000 + i,
    import_routing_policies: i % 4 === 0 ? [pol('AS-IN', 30)] : [],
    export_routing_policies: [],
    communities: [],
    contacts: [],
    config_context: {},
  }));
  const ix = base.internet_exchange_points[0];
  const sessions = Array.from({ length: sessionCount }, (_, i) => {
    const as = ases[i >> 1];
    const v6 = i % 2 === 1;
    const g = groups[i % groupCount];
    g.session_ids.push(i + 1);
    const afi = v6 ? 'ipv6' : 'ipv4';
    return {
      id: i + 1,
      name: `s${i}`,
      description: `${as.name} (AS${as.asn})`,
      status: 'active',
      enabled: i % 50 !== 0,
      ttl: i % 13 === 0 ? 3 : null,
      multihop: i % 13 === 0 ? 3 : null,
      local_asn: 64496,
      peer_asn: as.asn,
      peer_name: as.name,
      irr_as_set: as.irr_as_set,
      ipv4_max_prefixes: as.ipv4_max_prefixes,
      ipv6_max_prefixes: as.ipv6_max_prefixes,
      local_ip: v6 ? '2001:db8:100::1' : '198.51.100.1',
      remote_ip: v6 ? `2001:db8:100::${(i + 16).toString(16)}` : `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      ip_version: v6 ? 6 : 4,
      password: i % 5 === 0 ? `md5-${i}` : null,
      encrypted_password: null,
      relationship: { slug: 'peer', name: 'Peer', color: '00ff00' },
      service_reference: null,
      bfd_profile: i % 3 === 0 ? 'fast' : null,
      peer_group: g.name,
      vrf: null,
      peering_network:
        i % 4 === 0
          ? null
          : {
              id: ix.networks[v6 ? 1 : 0].id,
              name: ix.networks[v6 ? 1 : 0].name,
              prefix: ix.networks[v6 ? 1 : 0].prefix,
              fabric: { id: ix.id, name: ix.name, slug: ix.slug, type: ix.type },
            },
      address_families: [
        {
          afi,
          safi: 'unicast',
          afi_safi: `${afi}-unicast`,
          route_map_in: null,
          route_map_out: null,
          prefix_list_in: i % 6 === 0 ? `PL-AS${as.asn}-V${v6 ? 6 : 4}` : null,
          prefix_list_out: null,
          max_prefixes: i % 9 === 0 ? 77 : null,
        },
      ],
      afi_safis: [`${afi}-unicast`],
      is_route_server: false,
      import_routing_policies: i % 10 === 0 ? [pol('SESSION-IN', 5)] : [],
      export_routing_policies: [],
      communities: [],
      state: 'established',
      received_prefixes: 1,
      accepted_prefixes: 1,
      advertised_prefixes: 1,
      config_context: {},
    };
  });
  return {
    ...base,
    sessions,
    peer_groups: groups,
    bgp_groups: groups,
    autonomous_systems: [...base.autonomous_systems, ...ases],
  };
}

// The filters junos.j2 uses, written for Python so Jinja2 renders the very same template.
const PY_FILTERS = String.raw`
import unicodedata, re
def _vars(): return CTX
_as_idx = {}
_fab_idx = {}
def _index():
    if not _as_idx:
        for a in CTX['autonomous_systems']: _as_idx.setdefault(a['asn'], a)
        for f in CTX['internet_exchange_points']: _fab_idx.setdefault(f['id'], f)
def sessions(v, family=0):
    ids = set(v.get('session_ids', []))
    out = [s for s in CTX['sessions'] if s['id'] in ids or s.get('peer_group') == v['name']]
    return [s for s in out if not family or s['ip_version'] == family]
def _by_weight(ps): return sorted(ps or [], key=lambda p: p.get('weight', 0))
def iter_import_policies(v, field=''):
    ps = _by_weight(v.get('import_routing_policies'))
    return [p.get(field) for p in ps] if field else ps
def iter_export_policies(v, field=''):
    ps = _by_weight(v.get('export_routing_policies'))
    return [p.get(field) for p in ps] if field else ps
def merge_import_policies(v, order=''):
    _index()
    layers = _by_weight(v.get('import_routing_policies'))
    if 'remote_ip' in v:
        a = _as_idx.get(v['peer_asn'])
        layers = layers + _by_weight(a.get('import_routing_policies') if a else [])
        net = v.get('peering_network')
        f = _fab_idx.get(net['fabric']['id']) if net else None
        layers = layers + _by_weight(f.get('import_routing_policies') if f else [])
    seen, out = set(), []
    for p in layers:
        k = p.get('slug', p.get('name'))
        if k in seen: continue
        seen.add(k); out.append(p)
    return out[::-1] if order == 'reverse' else out
def max_prefix(s, family=None):
    fam = s['ip_version'] if family is None else family
    for af in s.get('address_families', []):
        if af['afi'] == 'ipv%d' % fam and af.get('max_prefixes') is not None: return af['max_prefixes']
    n = s.get('ipv%d_max_prefixes' % fam)
    return 0 if n is None else n
def safe_string(v): return re.sub(r'[^\x20-\x7e]', '', unicodedata.normalize('NFKD', str(v)))
FILTERS = dict(sessions=sessions, iter_import_policies=iter_import_policies, iter_export_policies=iter_export_policies,
               merge_import_policies=merge_import_policies, max_prefix=max_prefix, safe_string=safe_string)
`;

const PY_BENCH = String.raw`
import sys, json, time, hashlib, statistics
import jinja2
CTX = json.load(open(sys.argv[1]))
${PY_FILTERS}
env = jinja2.Environment(autoescape=False)
env.filters.update(FILTERS)
tpl = env.from_string(open(sys.argv[2]).read())
runs = int(sys.argv[3])
out = tpl.render(CTX)
times = []
for _ in range(runs):
    t0 = time.perf_counter(); out = tpl.render(CTX); times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({'median_ms': statistics.median(times), 'min_ms': min(times), 'sha256': hashlib.sha256(out.encode()).hexdigest(), 'bytes': len(out.encode())}))
`;

const PY_PROCESS = String.raw`
import sys, json
import jinja2
CTX = json.load(open(sys.argv[1]))
${PY_FILTERS}
env = jinja2.Environment(autoescape=False)
env.filters.update(FILTERS)
sys.stdout.write(env.from_string(open(sys.argv[2]).read()).render(CTX))
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function timeProcess(cmd: string, args: string[], runs: number): { median_ms: number; out: string } {
  const times: number[] = [];
  let out = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    times.push(performance.now() - t0);
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
    out = r.stdout;
  }
  return { median_ms: median(times), out };
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const round = (n: number): number => Math.round(n * 100) / 100;

/** Runs the render benchmark and returns its figures. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'peerdesk-bench-'));
  const ctxFile = join(dir, 'context.json');
  writeFileSync(ctxFile, JSON.stringify(bigContext()));
  const pyBench = join(dir, 'bench.py');
  const pyProc = join(dir, 'render.py');
  writeFileSync(pyBench, PY_BENCH);
  writeFileSync(pyProc, PY_PROCESS);

  // (a) template stage, in-process.
  const ctx = JSON.parse(readFileSync(ctxFile, 'utf8')) as Record<string, unknown>;
  const tpl = createPeerdeskEnvironment({ dialect: 'peering-manager' }).fromString(
    readFileSync(TEMPLATE, 'utf8'),
    'junos-pm.j2',
  );
  let out = '';
  for (let i = 0; i < 5; i++) out = tpl.render(ctx);
  const runs = 20;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    out = tpl.render(ctx);
    times.push(performance.now() - t0);
  }
  const py = JSON.parse(
    execFileSync('python3', [pyBench, ctxFile, TEMPLATE, '10'], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 }),
  ) as { median_ms: number; min_ms: number; sha256: string; bytes: number };
  const peerdeskMs = median(times);

  // (b) whole process: CLI vs python3 script, same files.
  const cli = timeProcess(
    process.execPath,
    [
      join(ROOT, 'bin', 'peerdesk.js'),
      'render',
      '--dialect',
      'peering-manager',
      '--template-file',
      TEMPLATE,
      '--context-file',
      ctxFile,
    ],
    5,
  );
  const pyp = timeProcess('python3', [pyProc, ctxFile, TEMPLATE], 5);

  const fromDb: Record<string, unknown> = {};
  for (const engine of (process.env.BENCH_ENGINES ?? 'sqlite,postgres').split(','))
    fromDb[engine] = await endToEnd(engine as 'sqlite' | 'postgres', dir);

  return {
    sessions: 5000,
    peer_groups: 40,
    end_to_end_from_database: { goal_ms: 300, ...fromDb },
    output_bytes: Buffer.byteLength(out),
    byte_identical: sha(out) === py.sha256 && sha(cli.out) === py.sha256 && sha(pyp.out) === py.sha256,
    template_stage: {
      peerdesk_ms: round(peerdeskMs),
      peerdesk_min_ms: round(Math.min(...times)),
      jinja2_ms: round(py.median_ms),
      jinja2_min_ms: round(py.min_ms),
      ratio_vs_jinja2: round(peerdeskMs / py.median_ms),
      goal_ratio: 0.5,
      goal_met: peerdeskMs / py.median_ms <= 0.5,
    },
    whole_process: {
      peerdesk_cli_ms: round(cli.median_ms),
      python3_jinja2_ms: round(pyp.median_ms),
      ratio_vs_jinja2: round(cli.median_ms / pyp.median_ms),
    },
  };
}

/** Part (b): a router with 5,000 sessions in 40 peer groups in the database, rendered through junos.j2. */
export async function endToEnd(engine: 'sqlite' | 'postgres', dir: string): Promise<Record<string, unknown>> {
  const { openDb } = await import('../src/platform/db.ts');
  const { migrateToLatest } = await import('../src/db/migrate.ts');
  const { buildRenderContext, renderTemplate, loadTemplate } = await import('../src/templates/render.service.ts');
  const { SecretBox } = await import('../src/platform/crypto.ts');
  const { parseIp } = await import('../src/platform/ip.ts');
  const { sql } = await import('kysely');
  let url = `sqlite:${join(dir, 'render.db')}`;
  let drop = async () => {};
  if (engine === 'postgres') {
    const base = process.env.PEERDESK_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const admin = await openDb(base);
    const name = `pd_render_bench_${process.pid}`;
    await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
    await sql.raw(`create database ${name}`).execute(admin);
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    drop = async () => {
      await sql.raw(`drop database if exists ${name} with (force)`).execute(admin);
      await admin.destroy();
    };
  }
  const db = await openDb(url);
  try {
    await migrateToLatest(db);
    const secrets = new SecretBox('r'.repeat(40));
    const t = new Date().toISOString();
    const st = { created_at: t, updated_at: t, version: 1 };
    const router = await db
      .insertInto('routers')
      .values({
        name: 'edge1',
        local_asn: 64500,
        router_id: '192.0.2.1',
        status: 'active',
        polling_enabled: false,
        ...st,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const pol = await db
      .insertInto('routing_policies')
      .values([
        {
          name: 'IMPORT-PEERS',
          slug: 'import-peers',
          direction: 'import',
          weight: 0,
          address_family: 0,
          config: '{}',
          ...st,
        },
        {
          name: 'EXPORT-OWN',
          slug: 'export-own',
          direction: 'export',
          weight: 0,
          address_family: 0,
          config: '{}',
          ...st,
        },
      ])
      .returning('id')
      .execute();
    const groups = await db
      .insertInto('peer_groups')
      .values(
        Array.from({ length: 40 }, (_, i) => ({
          router_id: router.id,
          name: `GROUP-${i}`,
          ttl_security: false,
          import_policy_id: pol[0].id,
          export_policy_id: pol[1].id,
          ipv4_max_prefixes: 1000,
          ipv6_max_prefixes: 200,
          ...st,
        })),
      )
      .returning('id')
      .execute();
    const fab = await db
      .insertInto('fabrics')
      .values({ name: 'IX', slug: 'ix', type: 'ixp', status: 'active', ...st })
      .returning('id')
      .executeTakeFirstOrThrow();
    const net4 = await db
      .insertInto('peering_networks')
      .values({
        fabric_id: fab.id,
        name: 'v4',
        prefix: '10.0.0.0/16',
        prefix_key: parseIp('10.0.0.0')!.key + '/016',
        family: 4,
        status: 'active',
        ...st,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const asns = await db
      .insertInto('peer_asns')
      .values(
        Array.from({ length: 2500 }, (_, i) => ({
          asn: 65000 + i,
          name: `Peer ${i}`,
          affiliated: false,
          irr_as_set: `AS-PEER${i}`,
          ipv4_max_prefixes: 100,
          follow_peeringdb_name: true,
          follow_peeringdb_irr_as_set: true,
          follow_peeringdb_max_prefixes: true,
          ...st,
        })),
      )
      .returning(['id', 'asn'])
      .execute();
    for (let i = 0; i < 5000; i += 1000) {
      const rows = Array.from({ length: 1000 }, (_, j) => {
        const n = i + j;
        const ip = parseIp(`10.0.${(n >> 8) + 1}.${n & 255}`)!;
        return {
          router_id: router.id,
          vrf: '',
          name: `Peer ${n % 2500}`,
          peer_ip: ip.text,
          peer_ip_key: ip.key,
          source_ip: '10.0.0.1',
          family: 4,
          local_asn: 64500,
          remote_asn: 65000 + (n % 2500),
          peer_group_id: groups[n % 40].id,
          enabled: true,
          status: 'active',
          ttl_security: false,
          password_enc: n % 3 === 0 ? secrets.encrypt(`pw${n}`) : null,
          state: 'established',
          ...st,
        };
      });
      const ids = await db.insertInto('bgp_peers').values(rows).returning('id').execute();
      await db
        .insertInto('bgp_peer_address_families')
        .values(
          ids.map((r) => ({
            bgp_peer_id: r.id,
            afi_safi: 'ipv4-unicast',
            enabled: true,
            import_policy_id: pol[0].id,
            export_policy_id: pol[1].id,
            max_prefixes: 100,
          })),
        )
        .execute();
      await db
        .insertInto('peering_sessions')
        .values(
          ids.map((r, j) => ({ bgp_peer_id: r.id, peer_asn_id: asns[(i + j) % 2500].id, network_id: net4.id, ...st })),
        )
        .execute();
    }
    if (engine === 'postgres') await sql`analyze`.execute(db);
    const tpl = await loadTemplate(db, 'junos.j2');
    const ctxTimes: number[] = [];
    const once = async () => {
      const t0 = performance.now();
      const ctx = await buildRenderContext(db, { routerId: Number(router.id) }, { includeSecrets: true, secrets });
      ctxTimes.push(performance.now() - t0);
      return renderTemplate(db, tpl, ctx);
    };
    let out = await once();
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      out = await once();
      times.push(performance.now() - t0);
    }
    const ms = median(times);
    return {
      total_ms: round(ms),
      context_ms: round(median(ctxTimes.slice(1))),
      output_bytes: Buffer.byteLength(out),
      ratio_vs_goal_300ms: round(ms / 300),
      goal_met: ms <= 300,
    };
  } finally {
    await db.destroy();
    await drop();
  }
}
