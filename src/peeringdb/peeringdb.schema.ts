// The PeeringDB API's response schemas (OpenAPI) and the types the services return, inferred from them.
import { z } from 'zod';

export const syncCounts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  deleted: z.number().int(),
  fetched: z.number().int(),
});
export const syncRun = z
  .object({
    id: z.number().int(),
    mode: z.enum(['full', 'incremental', 'import']),
    status: z.enum(['running', 'succeeded', 'failed']),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    counts: z.record(z.string(), syncCounts),
    source: z.string().nullable(),
    requests: z.number().int(),
    error: z.string().nullable(),
    job_id: z.number().int().nullable(),
  })
  .meta({ id: 'PeeringDbSyncRun' });

export const networkSummary = z
  .object({
    id: z.number().int(),
    asn: z.number().int(),
    name: z.string(),
    aka: z.string().nullable(),
    irr_as_set: z.string().nullable(),
    info_type: z.string().nullable(),
    info_prefixes4: z.number().int().nullable(),
    info_prefixes6: z.number().int().nullable(),
    policy_general: z.string().nullable(),
    policy_url: z.string().nullable(),
    website: z.string().nullable(),
    ix_count: z.number().int().nullable(),
  })
  .meta({ id: 'PeeringDbNetwork' });

export const candidateAddress = z.object({
  address: z.string(),
  family: z.number().int(),
  network_id: z.number().int().nullable(),
  has_session: z.boolean(),
  is_rs_peer: z.boolean(),
  speed: z.number(),
  operational: z.boolean().optional(),
});

export const candidate = z
  .object({
    asn: z.number().int(),
    name: z.string(),
    peeringdb_net_id: z.number().int().nullable(),
    peer_asn_id: z.number().int().nullable(),
    policy: z.string().nullable(),
    info_type: z.string().nullable(),
    info_prefixes4: z.number().int().nullable(),
    info_prefixes6: z.number().int().nullable(),
    irr_as_set: z.string().nullable(),
    is_rs_peer: z.boolean(),
    speed: z.number(),
    shared_fabrics: z.number().int(),
    ipv4: z.array(z.string()),
    ipv6: z.array(z.string()),
    addresses: z.array(candidateAddress),
    missing: z.number().int(),
    hidden: z.boolean(),
    hidden_until: z.string().nullable(),
    hidden_reason: z.string().nullable(),
    score: z.number(),
  })
  .meta({
    id: 'PeeringCandidate',
    description:
      'A network on the fabric without a session from us on at least one address. score (higher first) = policy (Open 40, Selective 25, Restrictive 10, No 0, unknown 15) ' +
      '+ min(25, 5·log10(1 + info_prefixes4 + info_prefixes6)) + min(15, 5 per further fabric shared) + min(10, 2·log2(1 + port Gbit/s)) ' +
      '+ 5 if both an IPv4 and an IPv6 address lack a session − 5 if every port peers with the route server.',
  });

export const peeringNetwork = z.object({
  id: z.number().int(),
  fabric_id: z.number().int(),
  name: z.string(),
  prefix: z.string(),
  family: z.number().int(),
  vlan: z.number().int().nullable(),
  mtu: z.number().int().nullable(),
  route_server_asn: z.number().int().nullable(),
  status: z.string(),
  peeringdb_ixlan_id: z.number().int().nullable(),
  peeringdb_ixpfx_id: z.number().int().nullable(),
});
export const fabricOut = z.object({
  id: z.number().int(),
  name: z.string(),
  slug: z.string(),
  type: z.string(),
  status: z.string(),
  peeringdb_ix_id: z.number().int().nullable(),
  description: z.string().nullable(),
});

export const jobQueued = z.object({ job_id: z.number().int(), kind: z.string() });
export const nstr = z.string().nullable();
export const nint = z.number().int().nullable();
export const memberCount = z
  .number()
  .int()
  .describe(
    "networks on the exchange's LANs in the local mirror (distinct netixlan networks); net_count is PeeringDB's own figure",
  );
export const exchangeSummary = z
  .object({
    id: z.number().int(),
    name: z.string(),
    aka: nstr,
    name_long: nstr,
    city: nstr,
    country: nstr,
    region_continent: nstr,
    net_count: nint,
    member_count: memberCount,
    fabric_id: nint,
  })
  .meta({ id: 'PeeringDbExchange' });
export const exchangeDetail = z
  .object({
    id: z.number().int(),
    name: z.string(),
    name_long: nstr,
    city: nstr,
    country: nstr,
    website: nstr,
    tech_email: nstr,
    policy_email: nstr,
    net_count: nint,
    member_count: memberCount,
    fabric_id: nint,
    ixlans: z.array(
      z.object({
        id: z.number().int(),
        name: nstr,
        descr: nstr,
        mtu: nint,
        rs_asn: nint,
        member_count: z.number().int(),
        ixf_ixp_member_list_url: nstr,
        prefixes: z.array(
          z.object({ id: z.number().int(), protocol: z.string(), prefix: z.string(), in_dfz: z.boolean().nullable() }),
        ),
      }),
    ),
  })
  .meta({ id: 'PeeringDbExchangeDetail' });
export const opportunities = z.object({
  asn: z.number().int(),
  network: networkSummary.nullable().describe('the PeeringDB network (null when the mirror does not have it)'),
  fabrics: z.array(
    z.object({
      fabric: z.object({ id: z.number().int(), name: z.string(), slug: z.string(), peeringdb_ix_id: nint }),
      addresses: z.array(
        z.object({
          address: z.string(),
          family: z.number().int(),
          network_id: nint,
          has_session: z.boolean(),
          is_rs_peer: z.boolean(),
          speed: nint,
        }),
      ),
      missing: z.number().int(),
      hidden: z.boolean(),
      hidden_until: nstr,
    }),
  ),
  other_exchanges: z.array(z.object({ id: z.number().int(), name: z.string(), city: nstr, country: nstr })),
});
export const fieldDivergence = z.object({
  field: z.string(),
  local: z.union([z.string(), z.number()]).nullable(),
  peeringdb: z.union([z.string(), z.number()]).nullable(),
  follow: z.boolean(),
  differs: z.boolean(),
  will_update: z.boolean(),
  reason: nstr,
});
export const divergenceOut = z
  .object({
    peer_asn: z.object({
      id: z.number().int(),
      asn: z.number().int(),
      name: z.string(),
      peeringdb_id: nint,
      peeringdb_synced_at: nstr,
    }),
    peeringdb: z
      .object({
        id: z.number().int(),
        asn: z.number().int(),
        name: z.string(),
        irr_as_set: nstr,
        info_prefixes4: nint,
        info_prefixes6: nint,
        policy_general: nstr,
        updated: z.string(),
      })
      .nullable(),
    fields: z.array(fieldDivergence),
    in_sync: z.boolean(),
    pending_updates: z.array(z.string()),
  })
  .meta({ id: 'PeeringDbDivergence' });
export const ixfImportOut = z.object({
  fabric_id: z.number().int(),
  source: z.string(),
  version: nstr,
  timestamp: nstr,
  ixp: z.object({ ixp_id: nint, shortname: nstr, name: nstr, peeringdb_id: nint }).nullable(),
  member_count: z.number().int(),
  address_count: z.number().int(),
  warnings: z.array(z.string()),
});
export const ixfMember = z.object({
  asn: z.number().int(),
  name: z.string(),
  member_type: nstr.optional(),
  addresses: z.array(z.string()),
});
export const ixfComparison = z
  .object({
    fabric_id: z.number().int(),
    ixf: z.object({
      source: z.string(),
      version: nstr,
      timestamp: nstr,
      imported_at: z.string(),
      member_count: z.number().int(),
    }),
    peeringdb: z.object({ member_count: z.number().int() }),
    only_in_ixf: z.array(ixfMember),
    only_in_peeringdb: z.array(ixfMember),
    address_differences: z.array(
      z.object({
        asn: z.number().int(),
        name: z.string(),
        ixf_only: z.array(z.string()),
        peeringdb_only: z.array(z.string()),
      }),
    ),
    routeserver_differences: z.array(
      z.object({
        asn: z.number().int(),
        name: z.string(),
        address: z.string(),
        ixf: z.boolean(),
        peeringdb: z.boolean(),
      }),
    ),
    matching: z.number().int(),
  })
  .meta({ id: 'IxfComparison' });

export const networkAddress = z.object({
  address: z.string(),
  family: z.number().int(),
  network_id: z.number().int().nullable(),
  network_name: z.string().nullable(),
  ixlan_id: z.number().int(),
  is_rs_peer: z.boolean(),
  speed: z.number(),
  operational: z.boolean(),
  has_session: z.boolean(),
});
export const networkAddressesOut = z.object({
  asn: z.number().int(),
  fabric_id: z.number().int(),
  network: networkSummary.nullable(),
  addresses: z.array(networkAddress),
});
export const fabricCreatedOut = z.object({ fabric: fabricOut, networks: z.array(peeringNetwork) });
export const fabricResyncOut = z.object({
  fabric: fabricOut,
  created: z.number().int(),
  updated: z.number().int(),
  decommissioned: z.number().int(),
  unchanged: z.number().int(),
  networks: z.array(peeringNetwork),
});
export const createSessionsOut = z.object({
  created: z.array(
    z.object({
      asn: z.number().int(),
      address: z.string(),
      family: z.number().int(),
      network_id: z.number().int(),
      bgp_peer_id: z.number().int(),
      session_id: z.number().int(),
      peer_asn_id: z.number().int(),
    }),
  ),
  skipped: z.array(z.object({ asn: z.number().int(), address: z.string(), reason: z.string() })),
  peer_asns_created: z.array(z.number().int()),
});
export const peerAsnSyncResult = z.object({
  id: z.number().int(),
  asn: z.number().int(),
  found: z.boolean(),
  changed: z.array(z.string()),
});

export type NetworkSummary = z.infer<typeof networkSummary>;
export type ExchangeSummary = z.infer<typeof exchangeSummary>;
export type ExchangeDetail = z.infer<typeof exchangeDetail>;
export type NetworkAddresses = z.infer<typeof networkAddressesOut>;
export type Opportunities = z.infer<typeof opportunities>;
export type PeeringNetworkOut = z.infer<typeof peeringNetwork>;
export type FabricOut = z.infer<typeof fabricOut>;
export type FabricCreated = z.infer<typeof fabricCreatedOut>;
export type FabricResync = z.infer<typeof fabricResyncOut>;
export type Divergence = z.infer<typeof divergenceOut>;
export type PeerAsnSyncResult = z.infer<typeof peerAsnSyncResult>;
