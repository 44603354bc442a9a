// IX-F member exports from ../shared/data/ixf: parse every sample, import (inline and by URL), compare.
import { parseCidrList } from '../platform/net-guard.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createTestDb, engines, type TestDb } from '../../test/support/db.ts';
import { IXF_DATA_DIR } from '../../test/support/peeringdb-server.ts';
import { compareIxf, importIxf, parseIxf } from './ixf.ts';
import { createFabricFromExchange } from './peeringdb.service.ts';
import { loadSample } from './peeringdb.fixtures.ts';

const sample = (f: string) => JSON.parse(readFileSync(IXF_DATA_DIR + f, 'utf8'));

describe('IX-F parsing', () => {
  it('reads every sample export', () => {
    const files = readdirSync(IXF_DATA_DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) expect(parseIxf(sample(f)).version).toMatch(/^\d\.\d$/);
  });

  it('flattens addresses per member, VLAN and family with route-server flags', () => {
    const doc = parseIxf(sample('official_more_complex_example.json'));
    expect(doc.ixps[0]).toMatchObject({ ixp_id: 42, shortname: 'AMS-IX' });
    expect(doc.ixps[0].vlans[0]).toMatchObject({ id: 0, ipv4: '80.249.208.0/21', ipv6: '2001:7f8:1::/64' });
    const nflx = doc.addresses.filter((a) => a.asn === 2906);
    expect(nflx.map((a) => a.address)).toContain('2001:7f8:1::a500:2906:2');
    expect(nflx.find((a) => a.address === '195.69.146.250')).toMatchObject({
      family: 4,
      routeserver: true,
      max_prefix: 42,
      as_macro: 'AS-NFLX-V4',
      if_speed: 10000,
    });

    const basic = parseIxf(sample('official_basic_example.json'));
    expect(basic.members.map((m) => m.asn)).toEqual([8560, 197219, 51088, 47836]);

    const rs = parseIxf(sample('routeserver_only.json'));
    expect(rs.addresses.map((a) => [a.address, a.routeserver])).toEqual([
      ['1.1.1.1', false],
      ['1:1:1:1::', false],
      ['1.1.1.2', true],
      ['1:1:1:2::', true],
    ]);
  });

  it('accepts IXP Manager nested vlan_list and older versions with a warning', () => {
    const doc = parseIxf(sample('ixpmanager_workaround.json'));
    expect(doc.addresses.map((a) => a.address)).toEqual([
      '185.6.36.6',
      '2001:7f8:18::6',
      '194.88.240.6',
      '2001:7f8:18:12::6',
    ]);
    expect(doc.warnings[0]).toMatch(/0\.5/);
  });

  it('rejects what is not an IX-F export', () => {
    expect(() => parseIxf({ version: '2.0', ixp_list: [], member_list: [] })).toThrow(/not supported/);
    expect(() => parseIxf({ version: '1.0', ixp_list: [] })).toThrow(/member_list/);
    expect(() => parseIxf([])).toThrow();
  });
});

describe.each(engines())('IX-F import and comparison on %s', (engine) => {
  let t: TestDb;
  let http: Server;
  let base: string;
  const lucixExport = {
    version: '1.0',
    timestamp: '2026-04-16T00:00:00Z',
    ixp_list: [
      {
        ixp_id: 1,
        shortname: 'LU-CIX',
        peeringdb_id: 297,
        vlan: [
          {
            id: 1,
            ipv4: { prefix: '188.93.170.0', mask_length: 23 },
            ipv6: { prefix: '2001:7f8:4c::', mask_length: 64 },
          },
        ],
      },
    ],
    member_list: [
      {
        asnum: 2602,
        name: 'RESTENA',
        connection_list: [
          {
            ixp_id: 1,
            vlan_list: [
              {
                vlan_id: 1,
                ipv4: { address: '188.93.170.9', routeserver: false },
                ipv6: { address: '2001:7F8:4C::A2A:2', routeserver: true },
              },
            ],
          },
        ],
      },
      {
        asnum: 201281,
        name: 'Guillaume Mazoyer',
        connection_list: [{ ixp_id: 1, vlan_list: [{ vlan_id: 1, ipv4: { address: '188.93.170.200' } }] }],
      },
    ],
  };

  beforeAll(async () => {
    t = await createTestDb(engine);
    await loadSample(t.db);
    http = createServer((req, res) => {
      if (req.url === '/members.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(readFileSync(IXF_DATA_DIR + 'skip_routeserver_07.json'));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => http?.close(r));
    await t?.drop();
  });

  it('imports a real export from a URL and compares it with PeeringDB', async () => {
    const { fabric } = await createFabricFromExchange(t.db, 363); // SUPRnet: the export names peeringdb_id 363
    const imp = await importIxf(t.db, fabric.id, { url: `${base}/members.json` }, undefined, {
      allow: parseCidrList('127.0.0.1/32'),
    });
    expect(imp).toMatchObject({
      version: '0.7',
      ixp: { peeringdb_id: 363, shortname: 'tdc-ops-sw1' },
      member_count: 23,
    });
    const cmp = await compareIxf(t.db, fabric.id);
    // The PeeringDB sample holds no netixlan on SUPRnet: every IX-F member is "only in IX-F".
    expect(cmp.only_in_ixf).toHaveLength(23);
    expect(cmp.only_in_ixf.find((m: any) => m.asn === 42)).toMatchObject({
      addresses: ['206.53.201.22', '2001:504:60::2a'],
    });
    await expect(
      importIxf(t.db, fabric.id, { url: `${base}/missing.json` }, undefined, { allow: parseCidrList('127.0.0.1/32') }),
    ).rejects.toMatchObject({ status: 502 });
  });

  it('finds members only in one source, differing IPs and route-server flags (LU-CIX)', async () => {
    const { fabric } = await createFabricFromExchange(t.db, 297);
    await expect(compareIxf(t.db, fabric.id)).rejects.toMatchObject({ status: 404 });
    const imp = await importIxf(t.db, fabric.id, { data: lucixExport });
    expect(imp).toMatchObject({ member_count: 2, address_count: 3 });
    const cmp = await compareIxf(t.db, fabric.id);
    expect(cmp.only_in_ixf).toEqual([
      { asn: 201281, name: 'Guillaume Mazoyer', member_type: null, addresses: ['188.93.170.200'] },
    ]);
    expect(cmp.only_in_peeringdb).toEqual([]);
    expect(cmp.address_differences).toEqual([
      {
        asn: 2602,
        name: 'Fondation RESTENA',
        ixf_only: ['2001:7f8:4c::a2a:2'],
        peeringdb_only: ['2001:7f8:4c::a2a:1'],
      },
    ]);
    expect(cmp.routeserver_differences).toEqual([
      { asn: 2602, name: 'Fondation RESTENA', address: '188.93.170.9', ixf: false, peeringdb: true },
    ]);
    expect(cmp.matching).toBe(0);
  });

  it('chooses the IXP of a multi-IXP export by PeeringDB id, or asks', async () => {
    const { fabric } = await createFabricFromExchange(t.db, 14); // NYIIX
    const two = { ...lucixExport, ixp_list: [{ ixp_id: 1 }, { ixp_id: 2 }] };
    await expect(importIxf(t.db, fabric.id, { data: two })).rejects.toMatchObject({ fields: [{ field: 'ixp_id' }] });
    const imp = await importIxf(t.db, fabric.id, { data: two, ixp_id: 1 });
    expect(imp.member_count).toBe(2);
    const cmp = await compareIxf(t.db, fabric.id);
    expect(cmp.only_in_peeringdb.length).toBe(cmp.peeringdb.member_count);
  });

  it('refuses an export for another exchange unless its ixp_id is given', async () => {
    const { fabric } = await createFabricFromExchange(t.db, 31); // DE-CIX Frankfurt
    await expect(importIxf(t.db, fabric.id, { data: lucixExport })).rejects.toMatchObject({
      fields: [{ field: 'ixp_id', message: expect.stringMatching(/LU-CIX.*PeeringDB ix 297.*not this fabric/) }],
    });
    expect((await importIxf(t.db, fabric.id, { data: lucixExport, ixp_id: 1 })).member_count).toBe(2);
  });
});
