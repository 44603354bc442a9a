// Proof on real data (issue 13, item 1-2): a router on DE-CIX Frankfurt (fabric from the real PeeringDB
// capture), sessions for all 500 captured networks (members on their real addresses, dual-stack where
// PeeringDB says so; the other networks on addresses of the LAN), IRR prefix lists from ARIN's real
// origin-AS data where the network has routes there, max-prefix from PeeringDB where it has one.
// Every shipped template is rendered through render-config and checked by the daemons' own parsers
// (BIRD 2 `bird -p`, FRR `vtysh --dryrun`) or a line grammar (Junos, EOS, IOS XR, SR OS); no session
// may import or export everything, and exactly the sessions without a filter import/export nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { findTool, labSkipReason } from '../support/lab.ts';
import { sharedData } from '../support/shared-data.ts';
import { decixRouter } from '../support/decix.ts';
import { loadArinRoutes } from '../support/arin-routes.ts';
import { importPeeringDb } from '../../src/peeringdb/peeringdb.import.ts';
import { applyExpansion } from '../../src/irr/irr.service.ts';
import { parseIp } from '../../src/platform/ip.ts';
import { dialectOf, now } from '../../src/platform/db.ts';
import { bindBool } from '../../src/peeringdb/peeringdb.table.ts';
import {
  acceptsAll,
  birdChannels,
  checkEos,
  checkIosxr,
  checkJunos,
  checkSros,
  ciscoStylePolicies,
  junosPolicies,
} from './config-grammar.ts';

const PDB = sharedData('peeringdb', 'api');
/** IRR lists are cut to this many prefixes per family (the largest ARIN origin has 8,592). */
const IRR_CAP = 150;
const LOCAL_ASN = 64496;
const actor = { userId: null, username: 'lab' };
const tmp = mkdtempSync(join(tmpdir(), 'peerdesk-lab-tpl-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Net {
  id: number;
  asn: number;
  name: string;
  irr_as_set: string;
  info_prefixes4: number | null;
  info_prefixes6: number | null;
}
const nets: Net[] = [1, 2].flatMap(
  (p) => JSON.parse(readFileSync(join(PDB, 'net', `page-${p}.json`), 'utf8')).data as Net[],
);

function parse(cmd: string, args: string[], text: string, name: string): void {
  const file = join(tmp, name);
  writeFileSync(file, text);
  try {
    execFileSync(cmd, [...args, file], { stdio: 'pipe', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(
      `${cmd} rejected ${name}:\n${(e.stdout?.toString() ?? '') + (e.stderr?.toString() ?? '')}`.slice(0, 4000),
    );
  }
}

describe.each(engines())('shipped templates on real PeeringDB data (%s)', (engine) => {
  let t: TestApp;
  let routerId: number;
  let sessionIds: number[];
  /** Session families (peer IP) that have no IRR list of their family: they must import nothing. */
  let unfilteredImport: Set<string>;
  let unfilteredExport: Set<string>;
  let dualStackAsns: number;
  const rendered = new Map<string, { content: string; warnings: string[] }>();

  beforeAll(async () => {
    t = await startTestApp(engine);
    const db = t.tdb.db;
    await importPeeringDb(db, PDB);
    const decix = await decixRouter(t, { name: 'fra1-edge', hostname: '192.0.2.10', localAsn: LOCAL_ASN });
    routerId = decix.routerId;
    const { v4net, v6net, memberAsns } = decix;
    expect([v4net?.prefix, v6net?.prefix]).toEqual(['80.81.192.0/21', '2001:7f8::/64']);

    // Every other captured network: an address on the LAN, and an IPv6 one for every third network.
    const d = dialectOf(db);
    const stamp = now();
    const stamped = { created_at: stamp, updated_at: stamp, version: 1 };
    const taken = new Set((await db.selectFrom('bgp_peers').select('peer_ip').execute()).map((p) => p.peer_ip));
    let host = 0;
    const nextV4 = () => {
      for (;;) {
        host++;
        const ip = `80.81.${196 + (host >> 8)}.${host & 255}`;
        if ((host & 255) !== 0 && !taken.has(ip)) return ip;
      }
    };
    await db.transaction().execute(async (trx) => {
      let i = 0;
      for (const n of nets) {
        if (memberAsns.includes(n.asn) || n.asn === LOCAL_ASN) continue;
        i++;
        const asn = await trx
          .insertInto('peer_asns')
          .values({
            asn: n.asn,
            name: n.name,
            affiliated: bindBool(d, false),
            irr_as_set: null,
            ipv4_max_prefixes: n.info_prefixes4 || null,
            ipv6_max_prefixes: n.info_prefixes6 || null,
            peeringdb_id: n.id,
            ...stamped,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const addrs = [
          nextV4(),
          ...(i % 3 === 0 ? [`2001:7f8::${(n.asn >>> 16).toString(16)}:${(n.asn & 0xffff).toString(16)}:0:1`] : []),
        ];
        for (const a of addrs) {
          const ip = parseIp(a)!;
          const bp = await trx
            .insertInto('bgp_peers')
            .values({
              router_id: routerId,
              vrf: '',
              name: `${n.name} (${ip.text})`.slice(0, 200),
              peer_ip: ip.text,
              peer_ip_key: ip.key,
              source_ip: ip.family === 4 ? '80.81.199.250' : '2001:7f8::fa:0:1',
              family: ip.family,
              local_asn: LOCAL_ASN,
              remote_asn: n.asn,
              enabled: bindBool(d, true),
              status: 'active',
              ttl_security: bindBool(d, false),
              state: 'unknown',
              ...stamped,
            })
            .returning('id')
            .executeTakeFirstOrThrow();
          await trx
            .insertInto('bgp_peer_address_families')
            .values({
              bgp_peer_id: bp.id,
              afi_safi: ip.family === 4 ? 'ipv4-unicast' : 'ipv6-unicast',
              enabled: bindBool(d, true),
            })
            .execute();
          await trx
            .insertInto('peering_sessions')
            .values({
              bgp_peer_id: bp.id,
              peer_asn_id: asn.id,
              network_id: ip.family === 4 ? v4net!.id : v6net!.id,
              ...stamped,
            })
            .execute();
        }
      }
    });

    // IRR prefix lists from ARIN's origin-AS records (real routes), through the IRR import path; ours too.
    const arin = loadArinRoutes();
    const byOrigin = (routes: { prefix: string; origin: number }[]) => {
      const m = new Map<number, string[]>();
      for (const r of routes)
        if (!m.has(r.origin) || m.get(r.origin)!.length < IRR_CAP)
          m.set(r.origin, [...(m.get(r.origin) ?? []), r.prefix]);
      return m;
    };
    const v4 = byOrigin(arin.v4);
    const v6 = byOrigin(arin.v6);
    // Our own AS announces a few of the ARIN records of AS-less space: take the first origin with 5+ routes no peer uses.
    const peerAsns = new Set((await db.selectFrom('peer_asns').select('asn').execute()).map((a) => Number(a.asn)));
    const ours = [...v4.entries()].find(([o, ps]) => ps.length >= 5 && !peerAsns.has(o))!;
    const local = await db
      .insertInto('peer_asns')
      .values({ asn: LOCAL_ASN, name: 'Us', affiliated: bindBool(d, true), ...stamped })
      .returning('id')
      .executeTakeFirstOrThrow();
    const entry = (p: string) => ({ prefix: p, length: Number(p.split('/')[1]), exact: true });
    const expansion = (asn: number, a4: string[], a6: string[]) => ({
      target: `AS${asn}`,
      prefixes: { ipv4: a4, ipv6: a6 },
      entries: { ipv4: a4.map(entry), ipv6: a6.map(entry) },
      origins: [asn],
      report: {} as never,
    });
    await applyExpansion(db, Number(local.id), expansion(LOCAL_ASN, ours[1].slice(0, 10), []), { actor });
    const asnRows = await db.selectFrom('peer_asns').select(['id', 'asn']).where('asn', '!=', LOCAL_ASN).execute();
    for (const a of asnRows) {
      const a4 = v4.get(Number(a.asn)) ?? [];
      const a6 = v6.get(Number(a.asn)) ?? [];
      if (a4.length || a6.length) await applyExpansion(db, Number(a.id), expansion(Number(a.asn), a4, a6), { actor });
    }

    // What the data says each session must get.
    const rows = await db
      .selectFrom('peering_sessions as s')
      .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
      .select(['s.id', 'b.peer_ip', 'b.family', 'b.remote_asn', 'b.peer_group_id'])
      .where('b.router_id', '=', routerId)
      .execute();
    sessionIds = rows.map((r) => Number(r.id));
    unfilteredImport = new Set(
      rows.filter((r) => !(Number(r.family) === 4 ? v4 : v6).has(Number(r.remote_asn))).map((r) => r.peer_ip),
    );
    // Export: the group's policy, else our IRR list (IPv4 only).
    unfilteredExport = new Set(rows.filter((r) => !r.peer_group_id && Number(r.family) === 6).map((r) => r.peer_ip));
    const fams = new Map<number, Set<number>>();
    for (const r of rows)
      fams.set(Number(r.remote_asn), new Set([...(fams.get(Number(r.remote_asn)) ?? []), Number(r.family)]));
    dualStackAsns = [...fams.values()].filter((f) => f.size === 2).length;

    for (const name of ['bird2.j2', 'frr.j2', 'junos.j2', 'eos.j2', 'iosxr.j2', 'sros.j2']) {
      const r = await t.api('POST', '/api/render-config/', { template: name, router: routerId });
      expect(r.status, `${name}: ${JSON.stringify(r.body).slice(0, 500)}`).toBe(200);
      rendered.set(name, r.body);
    }
  }, 600_000);
  afterAll(async () => t?.close());

  it('covers all 500 networks, dual-stack peers, and peers with and without IRR lists and max-prefix', async () => {
    const db = t.tdb.db;
    const asns = new Set(
      (await db.selectFrom('bgp_peers').select('remote_asn').where('router_id', '=', routerId).execute()).map((r) =>
        Number(r.remote_asn),
      ),
    );
    expect(nets.every((n) => asns.has(n.asn))).toBe(true);
    expect(sessionIds.length).toBeGreaterThan(600);
    expect(dualStackAsns).toBeGreaterThan(100);
    expect(unfilteredImport.size).toBeGreaterThan(100);
    expect(unfilteredImport.size).toBeLessThan(sessionIds.length - 100);
    const bird = rendered.get('bird2.j2')!.content;
    expect((bird.match(/import limit \d+ action restart;/g) ?? []).length).toBeGreaterThan(300);
    expect((bird.match(/\tipv[46] \{\n\t\timport (none|filter)/g) ?? []).length).toBeGreaterThan(100);
  });

  it('renders the same config for the router and for its 700+ session ids (chunked queries)', async () => {
    const r = await t.api('POST', '/api/render-config/', { template: 'bird2.j2', sessions: sessionIds });
    expect(r.status).toBe(200);
    expect(r.body.content).toBe(rendered.get('bird2.j2')!.content);
  }, 120_000);

  it('imports and exports nothing exactly where no filter exists, never everything, and warns for each', () => {
    const birdCh = birdChannels(rendered.get('bird2.j2')!.content);
    expect(birdCh).toHaveLength(sessionIds.length);
    expect(new Set(birdCh.filter((c) => c.import === 'none').map((c) => c.neighbor))).toEqual(unfilteredImport);
    expect(new Set(birdCh.filter((c) => c.export === 'none').map((c) => c.neighbor))).toEqual(unfilteredExport);
    expect(birdCh.filter((c) => acceptsAll('bird', c.import) || acceptsAll('bird', c.export))).toEqual([]);
    for (const name of ['frr.j2', 'eos.j2'] as const) {
      const ps = ciscoStylePolicies(rendered.get(name)!.content);
      expect(ps, name).toHaveLength(sessionIds.length);
      expect(new Set(ps.filter((p) => p.import === 'route-map PEERDESK-DENY').map((p) => p.neighbor)), name).toEqual(
        unfilteredImport,
      );
      expect(
        ps.filter((p) => acceptsAll('frr', p.import) || acceptsAll('frr', p.export)),
        name,
      ).toEqual([]);
    }
    const junos = junosPolicies(rendered.get('junos.j2')!.content);
    expect(junos).toHaveLength(sessionIds.length);
    expect(new Set(junos.filter((p) => p.import === 'PEERDESK-REJECT').map((p) => p.neighbor))).toEqual(
      unfilteredImport,
    );
    expect(junos.filter((p) => acceptsAll('junos', p.import) || acceptsAll('junos', p.export))).toEqual([]);
    expect((rendered.get('iosxr.j2')!.content.match(/route-policy PEERDESK-DROP in/g) ?? []).length).toBe(
      unfilteredImport.size,
    );
    const warnings = rendered.get('bird2.j2')!.warnings;
    expect(warnings.filter((w) => w.includes('no import filter'))).toHaveLength(unfilteredImport.size);
    expect(warnings.filter((w) => w.includes('no export policy'))).toHaveLength(unfilteredExport.size);
    for (const ip of unfilteredImport) expect(warnings.some((w) => w.includes(` ${ip} (session `))).toBe(true);
  });

  it('gives every session a distinct name and a non-empty description, and FRR the router name as hostname', () => {
    const bird = rendered.get('bird2.j2')!.content;
    const names = [...bird.matchAll(/^protocol bgp (\S+)/gm)].map((m) => m[1]);
    expect(names).toHaveLength(sessionIds.length);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(n))).toBe(true);
    for (const [name, text] of rendered) {
      expect(text.content, name).not.toMatch(/description\s*("\s*")?;?\s*$/m);
      expect(text.content, name).not.toMatch(/[^\x00-\x7f]/);
    }
    expect(rendered.get('frr.j2')!.content).toMatch(/^hostname fra1-edge$/m);
    expect(rendered.get('frr.j2')!.content).not.toMatch(/^hostname .*192\.0\.2\.10/m);
  });

  it('passes the Junos, EOS, IOS XR and SR OS line grammars', () => {
    expect(checkJunos(rendered.get('junos.j2')!.content).slice(0, 10).join('\n')).toBe('');
    expect(checkEos(rendered.get('eos.j2')!.content).slice(0, 10).join('\n')).toBe('');
    expect(checkIosxr(rendered.get('iosxr.j2')!.content).slice(0, 10).join('\n')).toBe('');
    expect(checkSros(rendered.get('sros.j2')!.content).slice(0, 10).join('\n')).toBe('');
  });

  describe.skipIf(labSkipReason('bird', 'bird2'))('BIRD 2', () => {
    it(
      'bird -p accepts bird2.j2 output',
      () => parse(findTool('bird')!, ['-p', '-c'], rendered.get('bird2.j2')!.content, `bird-${engine}.conf`),
      180_000,
    );
  });
  describe.skipIf(labSkipReason('vtysh', 'frr'))('FRR', () => {
    it(
      'vtysh --dryrun accepts frr.j2 output',
      () => parse(findTool('vtysh')!, ['--dryrun', '-f'], rendered.get('frr.j2')!.content, `frr-${engine}.conf`),
      180_000,
    );
  });
});
