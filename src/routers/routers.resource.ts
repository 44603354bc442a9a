// Routers and their peer groups: where BGP sessions live and the defaults their peers inherit.
import { z } from 'zod';
import { sql } from 'kysely';
import type { Executor } from '../platform/db.ts';
import { asn, baseOutput, maxPrefixes, name, optText, statusField } from '../platform/fields.ts';
import {
  assertExists,
  assertUnique,
  bool,
  boolFilter,
  containsFilter,
  idFilter,
  textFilter,
  resourceQuery,
  type Resource,
  type RowOf,
  type Row,
} from '../platform/crud.ts';
import { parseIp } from '../platform/ip.ts';
import { ConflictError, ValidationError } from '../platform/errors.ts';
import { DEFAULT_SOCKET_DIRS } from '../platform/config.ts';
import { parseRouterAddress } from '../platform/router-address.ts';

const credentials = z
  .object({
    username: z.string().max(200).optional(),
    password: z.string().max(1000).optional(),
    ssh_private_key: z.string().max(20_000).optional(),
    ssh_passphrase: z.string().max(1000).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    api_token: z.string().max(2000).optional(),
    ssh_host_key: z
      .string()
      .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'the host key fingerprint as `ssh-keygen -lf` prints it: SHA256:…')
      .optional()
      .describe(
        "pin of the router's SSH host key (SSH and NETCONF); without it the key is refused unless insecure_skip_host_key",
      ),
    insecure_skip_host_key: z.boolean().optional().describe('accept any SSH host key (lab only)'),
    insecure_tls: z.boolean().optional().describe('eAPI: accept an unverified TLS certificate (lab only)'),
    ca_pem: z
      .string()
      .max(20_000)
      .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
      .optional()
      .describe("eAPI: CA or the switch's own certificate to trust"),
    config_file: z
      .string()
      .max(1000)
      .regex(/^\/[^\0\n\r]*$/, 'an absolute path')
      .refine((v) => !v.split('/').includes('..'), 'no .. in the path')
      .optional()
      .describe('BIRD: the configuration file Peerdesk owns and deploys (default PEERDESK_BIRD_CONFIG_FILE)'),
  })
  .strict();

const routerInput = z
  .object({
    name,
    hostname: z
      .string()
      .trim()
      .max(255)
      .nullable()
      .optional()
      .describe(
        'host, host:port, ssh://user@host[:port], unix:/path and vtysh:/dir (inside PEERDESK_SOCKET_DIRS), grpc://host:port, https://host[:port], netconf://host[:port]',
      ),
    platform: z.number().int().min(1).nullable().optional(),
    local_asn: asn,
    router_id: z
      .string()
      .refine((v) => parseIp(v)?.family === 4, 'router-id must be a dotted IPv4 address')
      .nullable()
      .optional(),
    status: statusField.optional(),
    config_template: z.number().int().min(1).nullable().optional(),
    credentials: credentials.nullable().optional().describe('write-only; admin role required'),
    polling_enabled: z.boolean().optional(),
    description: optText,
  })
  .strict();

const routerOutput = z
  .object({
    name: z.string(),
    hostname: z.string().nullable(),
    platform: z.object({ id: z.number().int(), name: z.string(), driver: z.string() }).nullable(),
    local_asn: z.number().int(),
    router_id: z.string().nullable(),
    status: z.string(),
    config_template: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    credentials_set: z.boolean(),
    credentials: credentials.optional(),
    polling_enabled: z.boolean(),
    last_polled_at: z.string().nullable(),
    last_poll_error: z.string().nullable().describe('why the last poll of this router failed; null when it succeeded'),
    last_poll_job_id: z.number().int().nullable(),
    description: z.string().nullable(),
    peer_count: z.number().int(),
    established_count: z.number().int(),
    ...baseOutput,
  })
  .meta({ id: 'Router' });

const routerQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('routers as t')
      .leftJoin('platforms as p', 'p.id', 't.platform_id')
      .leftJoin('config_templates as ct', 'ct.id', 't.config_template_id')
      // The poll status lives in its own table (written by every poll; the read caches ignore it).
      .leftJoin('router_poll_status as ps', 'ps.router_id', 't.id')
      .selectAll('t')
      .select(['p.name as platform_name', 'p.driver as platform_driver', 'ct.name as template_name'])
      .select([
        'ps.last_polled_at as poll_last_polled_at',
        'ps.last_poll_error as poll_last_error',
        'ps.last_poll_job_id as poll_last_job_id',
      ])
      .select(sql<number>`(select count(*) from bgp_peers b where b.router_id = t.id)`.as('peer_count'))
      .select(
        sql<number>`(select count(*) from bgp_peers b where b.router_id = t.id and b.state = 'established')`.as(
          'established_count',
        ),
      ),
  );

/** Input fields stored as they come, in the column of the same name. */
const ROUTER_COLUMNS = [
  'name',
  'hostname',
  'local_asn',
  'router_id',
  'status',
  'polling_enabled',
  'description',
] as const satisfies readonly (keyof z.infer<typeof routerInput>)[];

export const routers: Resource<RowOf<typeof routerQuery>, z.infer<typeof routerInput>> = {
  path: 'routers',
  objectType: 'router',
  table: 'routers',
  tag: 'routing',
  hasSecrets: true,
  input: routerInput,
  output: routerOutput,
  briefOutput: z.object({ id: z.number().int(), name: z.string(), local_asn: z.number().int() }),
  query: routerQuery,
  present: (r, opts) => {
    const out: Row = {
      id: Number(r.id),
      name: r.name,
      hostname: r.hostname ?? null,
      platform: r.platform_id ? { id: Number(r.platform_id), name: r.platform_name, driver: r.platform_driver } : null,
      local_asn: Number(r.local_asn),
      router_id: r.router_id ?? null,
      status: r.status,
      config_template: r.config_template_id ? { id: Number(r.config_template_id), name: r.template_name } : null,
      credentials_set: !!r.credentials_enc,
      polling_enabled: bool(r.polling_enabled),
      last_polled_at: r.poll_last_polled_at ?? null,
      last_poll_error: r.poll_last_error ?? null,
      last_poll_job_id: r.poll_last_job_id == null ? null : Number(r.poll_last_job_id),
      description: r.description ?? null,
      peer_count: Number(r.peer_count ?? 0),
      established_count: Number(r.established_count ?? 0),
      created_at: r.created_at,
      updated_at: r.updated_at,
      version: Number(r.version),
    };
    if (opts.includeSecrets && r.credentials_enc) out.credentials = JSON.parse(opts.secrets.decrypt(r.credentials_enc));
    return out;
  },
  brief: (r) => ({ id: Number(r.id), name: r.name, local_asn: Number(r.local_asn) }),
  filters: {
    id: idFilter('t.id'),
    name: textFilter('t.name'),
    platform: idFilter('t.platform_id'),
    driver: textFilter('p.driver'),
    local_asn: idFilter('t.local_asn'),
    status: textFilter('t.status'),
    polling_enabled: boolFilter('t.polling_enabled'),
  },
  search: ['t.name', 't.hostname', 't.description'],
  ordering: { name: 't.name', local_asn: 't.local_asn', status: 't.status', id: 't.id' },
  defaultOrdering: 'name',
  async prepare(input, ctx, existing) {
    const values: Row = {};
    if ('name' in input)
      await assertUnique(ctx.db, 'routers', 'name', input.name, existing ? Number(existing.id) : null);
    if ('platform' in input) {
      await assertExists(ctx.db, 'platforms', input.platform, 'platform');
      values.platform_id = input.platform ?? null;
    }
    if ('config_template' in input) {
      await assertExists(ctx.db, 'config_templates', input.config_template, 'config_template');
      values.config_template_id = input.config_template ?? null;
    }
    if ('credentials' in input) {
      if (ctx.principal && ctx.principal.role !== 'admin')
        throw new ValidationError('credentials', 'only the admin role may set router credentials');
      values.credentials_enc = input.credentials ? ctx.secrets.encrypt(JSON.stringify(input.credentials)) : null;
    }
    if (typeof input.hostname === 'string' && input.hostname !== '') {
      const parsed = parseRouterAddress(input.hostname, ctx.config?.PEERDESK_SOCKET_DIRS ?? DEFAULT_SOCKET_DIRS);
      if ('error' in parsed) throw new ValidationError('hostname', parsed.error);
    }
    for (const k of ROUTER_COLUMNS) if (k in input) values[k] = input[k];
    if (values.hostname === '') values.hostname = null;
    return values;
  },
  async beforeDelete(row, ctx) {
    const used = await ctx.db.selectFrom('bgp_peers').select('id').where('router_id', '=', row.id).executeTakeFirst();
    if (used) throw new ConflictError(`router ${row.name} still has BGP peers; delete them first`, [], 'protected');
  },
  repr: (r) => r.name,
};

const groupInput = z
  .object({
    router: z.number().int().min(1),
    name: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'use letters, digits, _ . : -'),
    description: optText,
    remote_asn: asn.nullable().optional(),
    local_asn: asn.nullable().optional(),
    multihop: z.number().int().min(1).max(255).nullable().optional(),
    ttl_security: z.boolean().optional(),
    bfd_profile: z.number().int().min(1).nullable().optional(),
    import_policy: z.number().int().min(1).nullable().optional(),
    export_policy: z.number().int().min(1).nullable().optional(),
    ipv4_max_prefixes: maxPrefixes.nullable().optional(),
    ipv6_max_prefixes: maxPrefixes.nullable().optional(),
    keepalive: z.number().int().min(0).max(65535).nullable().optional(),
    hold_time: z.number().int().min(0).max(65535).nullable().optional(),
    password: z.string().min(1).max(80).nullable().optional().describe('MD5 password; write-only'),
  })
  .strict();

const ref = z.object({ id: z.number().int(), name: z.string() }).nullable();
const groupOutput = z
  .object({
    router: z.object({ id: z.number().int(), name: z.string() }),
    name: z.string(),
    description: z.string().nullable(),
    remote_asn: z.number().int().nullable(),
    local_asn: z.number().int().nullable(),
    multihop: z.number().int().nullable(),
    ttl_security: z.boolean(),
    bfd_profile: ref,
    import_policy: ref,
    export_policy: ref,
    ipv4_max_prefixes: z.number().int().nullable(),
    ipv6_max_prefixes: z.number().int().nullable(),
    keepalive: z.number().int().nullable(),
    hold_time: z.number().int().nullable(),
    password_set: z.boolean(),
    password: z.string().optional(),
    peer_count: z.number().int(),
    ...baseOutput,
  })
  .meta({ id: 'PeerGroup' });

const nref = (id: number | null, name: string | null) => (id ? { id: Number(id), name: String(name) } : null);

const groupQuery = (db: Executor) =>
  resourceQuery(
    db
      .selectFrom('peer_groups as t')
      .innerJoin('routers as r', 'r.id', 't.router_id')
      .leftJoin('bfd_profiles as bp', 'bp.id', 't.bfd_profile_id')
      .leftJoin('routing_policies as ip', 'ip.id', 't.import_policy_id')
      .leftJoin('routing_policies as ep', 'ep.id', 't.export_policy_id')
      .selectAll('t')
      .select(['r.name as router_name', 'bp.name as bfd_name', 'ip.name as import_name', 'ep.name as export_name'])
      .select(sql<number>`(select count(*) from bgp_peers b where b.peer_group_id = t.id)`.as('peer_count')),
  );

/** Peer group input fields stored as they come, in the column of the same name. */
const GROUP_COLUMNS = [
  'name',
  'description',
  'remote_asn',
  'local_asn',
  'multihop',
  'ttl_security',
  'ipv4_max_prefixes',
  'ipv6_max_prefixes',
  'keepalive',
  'hold_time',
] as const satisfies readonly (keyof z.infer<typeof groupInput>)[];

export const peerGroups: Resource<RowOf<typeof groupQuery>, z.infer<typeof groupInput>> = {
  path: 'peer-groups',
  objectType: 'peer-group',
  table: 'peer_groups',
  tag: 'routing',
  hasSecrets: true,
  input: groupInput,
  output: groupOutput,
  briefOutput: z.object({
    id: z.number().int(),
    name: z.string(),
    router: z.object({ id: z.number().int(), name: z.string() }),
  }),
  query: groupQuery,
  present: (r, opts) => {
    const out: Row = {
      id: Number(r.id),
      router: { id: Number(r.router_id), name: r.router_name },
      name: r.name,
      description: r.description ?? null,
      remote_asn: r.remote_asn == null ? null : Number(r.remote_asn),
      local_asn: r.local_asn == null ? null : Number(r.local_asn),
      multihop: r.multihop ?? null,
      ttl_security: bool(r.ttl_security),
      bfd_profile: nref(r.bfd_profile_id, r.bfd_name),
      import_policy: nref(r.import_policy_id, r.import_name),
      export_policy: nref(r.export_policy_id, r.export_name),
      ipv4_max_prefixes: r.ipv4_max_prefixes ?? null,
      ipv6_max_prefixes: r.ipv6_max_prefixes ?? null,
      keepalive: r.keepalive ?? null,
      hold_time: r.hold_time ?? null,
      password_set: !!r.password_enc,
      peer_count: Number(r.peer_count ?? 0),
      created_at: r.created_at,
      updated_at: r.updated_at,
      version: Number(r.version),
    };
    if (opts.includeSecrets && r.password_enc) out.password = opts.secrets.decrypt(r.password_enc);
    return out;
  },
  brief: (r) => ({ id: Number(r.id), name: r.name, router: { id: Number(r.router_id), name: r.router_name } }),
  filters: {
    id: idFilter('t.id'),
    router: idFilter('t.router_id'),
    name: textFilter('t.name'),
    q_name: containsFilter('t.name'),
  },
  search: ['t.name', 't.description', 'r.name'],
  ordering: { name: 't.name', router: 'r.name', id: 't.id' },
  defaultOrdering: 'router,name',
  async beforeDelete(row, ctx) {
    // Peers of the group would silently lose their defaults: refuse with the count, or move them to
    // another group of the same router (`?replace_with=`).
    if (ctx.replaceWith) {
      const other = await ctx.db
        .selectFrom('peer_groups')
        .select(['id', 'router_id'])
        .where('id', '=', ctx.replaceWith)
        .executeTakeFirst();
      if (other && Number(other.router_id) !== Number(row.router_id))
        throw new ConflictError('the replacement peer group is on another router', [
          { field: 'replace_with', message: 'must be a peer group of the same router' },
        ]);
    }
    const { protectOrReplace } = await import('../relationships/references.ts');
    await protectOrReplace(ctx, { table: 'peer_groups', noun: 'peer group', row }, [
      { table: 'bgp_peers', column: 'peer_group_id', label: 'BGP peers', one: 'BGP peer', objectType: 'bgp-peer' },
    ]);
  },
  async prepare(input, ctx, existing) {
    const values: Row = {};
    const routerId = input.router ?? existing?.router_id;
    if ('router' in input) {
      await assertExists(ctx.db, 'routers', input.router, 'router');
      values.router_id = input.router;
      if (existing && Number(existing.router_id) !== input.router) {
        const used = await ctx.db
          .selectFrom('bgp_peers')
          .select('id')
          .where('peer_group_id', '=', existing.id)
          .executeTakeFirst();
        if (used)
          throw new ConflictError('cannot move a peer group with peers to another router', [
            { field: 'router', message: 'group has peers' },
          ]);
      }
    }
    if ('name' in input || 'router' in input) {
      const groupName = input.name ?? existing?.name;
      // A create's input has both (the schema requires them), an update's stored row has them.
      if (routerId === undefined) throw new ValidationError('router', 'required');
      if (groupName === undefined) throw new ValidationError('name', 'required');
      let dupQuery = ctx.db
        .selectFrom('peer_groups')
        .select('id')
        .where('router_id', '=', routerId)
        .where('name', '=', groupName);
      if (existing) dupQuery = dupQuery.where('id', '!=', existing.id);
      const dup = await dupQuery.executeTakeFirst();
      if (dup)
        throw new ConflictError('the router already has a peer group with this name', [
          { field: 'name', message: 'already used on this router' },
        ]);
    }
    for (const [f, t] of [
      ['bfd_profile', 'bfd_profiles'],
      ['import_policy', 'routing_policies'],
      ['export_policy', 'routing_policies'],
    ] as const) {
      if (f in input) {
        await assertExists(ctx.db, t, input[f], f);
        values[`${f}_id`] = input[f] ?? null;
      }
    }
    if ('password' in input) values.password_enc = input.password ? ctx.secrets.encrypt(input.password) : null;
    for (const k of GROUP_COLUMNS) if (k in input) values[k] = input[k];
    return values;
  },
  repr: (r) => `${r.router_name ?? ''}/${r.name}`,
};
