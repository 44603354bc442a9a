// templates/gobgp.j2 on real data: a router on DE-CIX Frankfurt (fabric from the real PeeringDB capture)
// with a session for every member network PeeringDB lists there (dual-stack where it says so), in a peer
// group with an export policy; IRR prefix lists from ARIN's real origin-AS data where the network has
// routes there; max-prefix from PeeringDB. The output must pass `gobgpd -d`, and gobgpd must start from
// it and hold every neighbour, prefix set and policy statement (started passive and without a listening
// port: nothing leaves the machine). RFC 8212: a session family without an IRR list gets no import
// statement (gobgpd's default rejects), and no statement accepts everything.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engines } from '../support/db.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { labSkipReason } from '../support/lab.ts';
import { sharedData } from '../support/shared-data.ts';
import { decixRouter } from '../support/decix.ts';
import { loadArinRoutes } from '../support/arin-routes.ts';
import { importPeeringDb } from '../../src/peeringdb/peeringdb.import.ts';
import { applyExpansion } from '../../src/irr/irr.service.ts';
import { bindBool } from '../../src/peeringdb/peeringdb.table.ts';
import { dialectOf, now } from '../../src/platform/db.ts';
import { parseToml, configProblems, gobgpNeighbors, type TomlTable } from '../../src/drivers/gobgp/gobgp.config.ts';
import { createPeerdeskEnvironment } from '../../src/templates/environment.ts';
import { engineOptions, SHIPPED_TEMPLATE_OPTIONS } from '../../src/templates/templates.resource.ts';
import { readFileSync } from 'node:fs';

const execFileP = promisify(execFile);
const PDB = sharedData('peeringdb', 'api');
const IRR_CAP = 150;
const LOCAL_ASN = 64496;
/** gobgpd's API for this file: an address of lab NET 12 no lab daemon uses. */
const API = { host: '127.0.12.200', port: 21791 };
const RUN_AS = process.getuid?.() === 0 ? ['setpriv', '--reuid', 'nobody', '--regid', 'nogroup', '--clear-groups'] : [];
const actor = { userId: null, username: 'lab' };
/** What the capture holds for DE-CIX members (fixed data). */
const STATS = { sessions: 139, v6: 69, irr: 35, max: 92 };
const tmp = mkdtempSync(join(tmpdir(), 'peerdesk-lab-gobgp-'));
chmodSync(tmp, 0o711);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const statementsOf = (cfg: TomlTable, policy: string) =>
  ((cfg['policy-definitions'] as any[]).find((p) => p.name === policy)?.statements ?? []) as any[];

describe.skipIf(labSkipReason('gobgpd', 'gobgpd'))('gobgp.j2 with hostile names and secrets', () => {
  it('escapes names, descriptions and MD5 passwords so that gobgpd -d accepts them and they read back exactly', () => {
    const ctx = JSON.parse(readFileSync(new URL('../fixtures/render-context.json', import.meta.url), 'utf8'));
    const names = [
      'AS6667 _ ELISA (DE_CIX FRA)',
      'Société "Télé" d.o.o. {x}; !# \\ end',
      '日本ネット',
      'x'.repeat(300),
    ];
    const passwords = ['pa"ss\\word', "it's # not = a comment", 'plain'];
    ctx.router = { ...ctx.router, name: 'edge1 "main" [203.0.113.10]' };
    ctx.sessions = ctx.sessions.map((s: any, i: number) => ({
      ...s,
      description: '',
      peer_name: names[i % names.length],
      name: names[i % names.length],
      password: passwords[i % passwords.length],
    }));
    ctx.peer_groups = ctx.peer_groups.map((g: any) => ({ ...g, password: null }));
    const out = createPeerdeskEnvironment(engineOptions(SHIPPED_TEMPLATE_OPTIONS)).getTemplate('gobgp.j2').render(ctx);
    const file = join(tmp, 'hostile.toml');
    writeFileSync(file, out);
    expect(execFileSync('gobgpd', ['-d', '-f', file], { encoding: 'utf8', stdio: 'pipe' })).toContain(
      'Finished reading the config file',
    );
    const cfg = parseToml(out);
    expect(configProblems(cfg)).toEqual([]);
    const neighbors = cfg.neighbors as any[];
    expect(neighbors.map((n) => n.config['auth-password'])).toEqual(
      ctx.sessions.map((_: unknown, i: number) => passwords[i % passwords.length]),
    );
    expect(neighbors.map((n) => n.config.description)).toEqual(
      ctx.sessions.map((s: any) => expect.stringMatching(new RegExp(`^AS${s.peer_asn}( [ -~]+)?$`))),
    );
    expect(neighbors.every((n) => !/["\\]/.test(n.config.description) && n.config.description.length <= 80)).toBe(true);
    expect(neighbors.map((n) => n.config.description)).toContainEqual(
      expect.stringMatching(/^AS\d+ Societe 'Tele' d\.o\.o\. \{x\}; !# \/ end$/),
    );
  });
});

describe.skipIf(labSkipReason('gobgpd', 'gobgpd'))('gobgp.j2 on real PeeringDB data', () => {
  describe.each(engines())('%s', (engine) => {
    let t: TestApp;
    let routerId: number;
    /** Session → family → has an IRR list of its own family (import filtered). */
    const sessions: { ip: string; asn: number; family: number; irr: boolean; max: number | null }[] = [];
    let shipped = '';
    let passive = '';
    let warnings: string[] = [];

    beforeAll(async () => {
      t = await startTestApp(engine);
      const db = t.tdb.db;
      await importPeeringDb(db, PDB);
      const decix = await decixRouter(t, {
        name: 'fra1-gobgp',
        hostname: 'grpc://192.0.2.10:50051',
        localAsn: LOCAL_ASN,
      });
      routerId = decix.routerId;

      // IRR prefix lists from ARIN's origin-AS records, ours too (IPv4 only).
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
      const d = dialectOf(db);
      const stamp = now();
      const peerAsns = new Set((await db.selectFrom('peer_asns').select('asn').execute()).map((a) => Number(a.asn)));
      const ours = [...v4.entries()].find(([o, ps]) => ps.length >= 5 && !peerAsns.has(o))!;
      const local = await db
        .insertInto('peer_asns')
        .values({
          asn: LOCAL_ASN,
          name: 'Us',
          affiliated: bindBool(d, true),
          created_at: stamp,
          updated_at: stamp,
          version: 1,
        })
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
      for (const a of await db.selectFrom('peer_asns').select(['id', 'asn']).where('asn', '!=', LOCAL_ASN).execute()) {
        const a4 = v4.get(Number(a.asn)) ?? [];
        const a6 = v6.get(Number(a.asn)) ?? [];
        if (a4.length || a6.length) await applyExpansion(db, Number(a.id), expansion(Number(a.asn), a4, a6), { actor });
      }
      const rows = await db
        .selectFrom('peering_sessions as s')
        .innerJoin('bgp_peers as b', 'b.id', 's.bgp_peer_id')
        .innerJoin('peer_asns as a', 'a.asn', 'b.remote_asn')
        .select(['b.peer_ip', 'b.family', 'b.remote_asn', 'a.ipv4_max_prefixes', 'a.ipv6_max_prefixes'])
        .where('b.router_id', '=', routerId)
        .execute();
      for (const r of rows) {
        const fam = Number(r.family);
        const max = Number(fam === 4 ? r.ipv4_max_prefixes : r.ipv6_max_prefixes) || null;
        sessions.push({
          ip: String(r.peer_ip),
          asn: Number(r.remote_asn),
          family: fam,
          irr: (fam === 4 ? v4 : v6).has(Number(r.remote_asn)),
          max,
        });
      }

      const plain = await t.api('POST', '/api/render-config/', { template: 'gobgp.j2', router: routerId });
      expect(plain.status, JSON.stringify(plain.body).slice(0, 500)).toBe(200);
      shipped = plain.body.content;
      warnings = plain.body.warnings;
      // For starting gobgpd here: no listening port and passive neighbours (site blocks of gobgp.j2).
      const tpl = await t.api('POST', '/api/templates/', {
        name: `gobgp-passive-${engine}`,
        body: '{% extends "gobgp.j2" %}{% block global_config %}\n  port = -1{% endblock %}{% block neighbor_transport %}\n    passive-mode = true{% endblock %}',
      });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(201);
      const r = await t.api('POST', '/api/render-config/', { template: tpl.body.id, router: routerId });
      expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
      passive = r.body.content;
    }, 600_000);
    afterAll(async () => t?.close());

    it('covers both families, with and without IRR lists and max-prefix', () => {
      const stats = {
        sessions: sessions.length,
        v6: sessions.filter((s) => s.family === 6).length,
        irr: sessions.filter((s) => s.irr).length,
        max: sessions.filter((s) => s.max).length,
      };
      expect(stats).toEqual(STATS);
    });

    it("renders one neighbour per session with its AS, max-prefix, and the peer group's settings, and reads back without problems", () => {
      const cfg = parseToml(shipped);
      expect(configProblems(cfg)).toEqual([]);
      expect(
        gobgpNeighbors(cfg)
          .map((n) => [n.address, n.peer_as])
          .sort(),
      ).toEqual(sessions.map((s) => [s.ip, s.asn]).sort());
      const limits = new Map(
        (cfg.neighbors as any[]).map((n) => [
          n.config['neighbor-address'],
          n['afi-safis'].map((a: any) => a['prefix-limit']?.config['max-prefixes'] ?? null),
        ]),
      );
      for (const s of sessions) expect(limits.get(s.ip), s.ip).toEqual([s.max]);
      expect((cfg.global as any).config).toEqual({ as: LOCAL_ASN, 'router-id': '192.0.2.10' });
      expect((cfg.global as any)['apply-policy'].config).toEqual({
        'import-policy-list': ['PEERDESK-IMPORT'],
        'default-import-policy': 'reject-route',
        'export-policy-list': ['PEERDESK-EXPORT'],
        'default-export-policy': 'reject-route',
      });
      expect(shipped).not.toMatch(/[^\x00-\x7f]/);
      expect(shipped).not.toMatch(/description = ""/);
    });

    it("imports only through the peer's IRR list, exports only to sessions with a filter, never everything (RFC 8212)", () => {
      const cfg = parseToml(shipped);
      const sets = new Map(
        ((cfg['defined-sets'] as any)['neighbor-sets'] as any[]).map((s) => [
          s['neighbor-set-name'],
          s['neighbor-info-list'],
        ]),
      );
      const importers = statementsOf(cfg, 'PEERDESK-IMPORT');
      expect(
        importers.every(
          (s) =>
            s.conditions['match-prefix-set']?.['prefix-set'] && s.conditions['match-neighbor-set']?.['neighbor-set'],
        ),
      ).toBe(true);
      expect(new Set(importers.map((s) => sets.get(s.conditions['match-neighbor-set']['neighbor-set'])[0]))).toEqual(
        new Set(sessions.filter((s) => s.irr).map((s) => s.ip)),
      );
      const exporters = statementsOf(cfg, 'PEERDESK-EXPORT');
      expect(
        exporters.every(
          (s) =>
            s.conditions['match-neighbor-set']?.['neighbor-set'] && s.actions['route-disposition'] === 'accept-route',
        ),
      ).toBe(true);
      // Every session is in the peer group with its export policy, and our IRR list (IPv4 only, so the
      // IPv6 sessions' export list is empty: they export nothing).
      expect(new Set(exporters.map((s) => sets.get(s.conditions['match-neighbor-set']['neighbor-set'])[0]))).toEqual(
        new Set(sessions.filter((s) => s.family === 4).map((s) => s.ip)),
      );
      expect([...new Set(exporters.map((s) => s.conditions['match-prefix-set']?.['prefix-set']))]).toEqual([
        'PL-IRR-AS64496-V4',
      ]);
      expect(warnings.filter((w) => w.includes('no import filter'))).toHaveLength(
        sessions.filter((s) => !s.irr).length,
      );
    });

    it('gobgpd -d accepts the output', () => {
      const file = join(tmp, `shipped-${engine}.toml`);
      writeFileSync(file, shipped);
      expect(execFileSync('gobgpd', ['-d', '-f', file], { encoding: 'utf8', stdio: 'pipe' })).toContain(
        'Finished reading the config file',
      );
    });

    it('gobgpd starts from it with every neighbour, prefix set and statement', async () => {
      const file = join(tmp, `passive-${engine}.toml`);
      writeFileSync(file, passive, { mode: 0o644 });
      const cfg = parseToml(passive);
      const [cmd, ...args] = [
        ...RUN_AS,
        'gobgpd',
        '-f',
        file,
        '--api-hosts',
        `${API.host}:${API.port}`,
        '--pprof-disable',
        '-p',
        '-l',
        'warn',
      ];
      let log = '';
      const child: ChildProcess = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
      child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
      const gobgp = async (...a: string[]) =>
        (
          await execFileP('gobgp', ['-u', API.host, '-p', String(API.port), ...a], {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
            timeout: 30_000,
          })
        ).stdout;
      try {
        const neighbors = async () => {
          if (child.exitCode !== null) throw new Error(`gobgpd exited (${child.exitCode}): ${log}`);
          try {
            return (JSON.parse(await gobgp('neighbor', '-j')) as any[]).length;
          } catch {
            return -1;
          }
        };
        await expect.poll(neighbors, { timeout: 60_000, interval: 500 }).toBe(sessions.length);
        const peers = JSON.parse(await gobgp('neighbor', '-j')) as any[];
        expect(peers.map((p) => [p.conf.neighbor_address, p.conf.peer_asn]).sort()).toEqual(
          sessions.map((s) => [s.ip, s.asn]).sort(),
        );
        const policies = JSON.parse(await gobgp('policy', '-j')) as { name: string; statements?: unknown[] }[];
        const count = (n: string) => policies.find((p) => p.name === n)?.statements?.length ?? 0;
        expect([count('PEERDESK-IMPORT'), count('PEERDESK-EXPORT')]).toEqual([
          statementsOf(cfg, 'PEERDESK-IMPORT').length,
          statementsOf(cfg, 'PEERDESK-EXPORT').length,
        ]);
        const prefixSets = ((cfg['defined-sets'] as any)['prefix-sets'] as any[]).map((p) => [
          p['prefix-set-name'],
          p['prefix-list'].length,
        ]);
        expect(
          (JSON.parse(await gobgp('policy', 'prefix', '-j')) as { name: string; prefixes: unknown[] }[]).map((p) => [
            p.name,
            p.prefixes.length,
          ]),
        ).toEqual(prefixSets);
        expect(await gobgp('global', 'policy', 'import')).toMatch(/Default: REJECT/);
        expect(await gobgp('global', 'policy', 'export')).toMatch(/Default: REJECT/);
        expect(child.exitCode).toBeNull();
      } finally {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await exited;
        }
      }
    }, 120_000);
  });
});
