// Building blocks shared by the resource configs: reference links, cell renderers, common fields
// and filters, and the option lists the API's enums give.
import type { ReactNode } from 'react';
import { BgpPeerStatus, FabricStatus, PeeringConnectionStatus, PeeringNetworkStatus, RouterStatus } from '../api/enums';
import type { Column, FilterDef } from '../components/DataTable';
import { Link } from '../app/router';
import type { FieldSpec } from './types';

/** Select options of an enum of the API contract (value shown as is unless a label is given). */
export function options(
  values: readonly string[],
  labels: Record<string, string> = {},
): { value: string; label: string }[] {
  return values.map((v) => ({ value: v, label: labels[v] ?? v }));
}

/** Object status: one list on every resource that has one (the API's shared status field). */
export const STATUS = options(FabricStatus);
// Fails to compile if a resource's generated status enum ever differs from the shared list.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const statusesAgree: Same<FabricStatus, RouterStatus> &
  Same<FabricStatus, BgpPeerStatus> &
  Same<FabricStatus, PeeringNetworkStatus> &
  Same<FabricStatus, PeeringConnectionStatus> = true;
/** Address family filter (the API's `family` query takes 4 or 6). */
export const FAMILY = [
  { value: '4', label: 'IPv4' },
  { value: '6', label: 'IPv6' },
];

/** Which resource a nested `{id, name}` field points to (for links). */
export const REF_TARGET: Record<string, string> = {
  router: 'routers',
  fabric: 'fabrics',
  network: 'peering-networks',
  peer_group: 'peer-groups',
  platform: 'platforms',
  bgp_peer: 'bgp-peers',
  peer_asn: 'peer-asns',
  relationship: 'relationships',
  bfd_profile: 'bfd-profiles',
  import_policy: 'routing-policies',
  export_policy: 'routing-policies',
  prefix_list_in: 'prefix-lists',
  prefix_list_out: 'prefix-lists',
  peering_session: 'peering-sessions',
  config_template: 'templates',
};

/** A link to an object. */
export function ObjLink({ res, id, children }: { res: string; id: number | null | undefined; children: ReactNode }) {
  if (id === null || id === undefined) return <span className="muted">—</span>;
  return <Link to={`/${res}/${id}`}>{children}</Link>;
}

/** A nested reference as the API presents it (`router: {id, name}`, `peer_asn: {id, asn, name}`). */
type NestedRef = { id: number; name?: string | null };
/** A row with a nested reference (or none) under `K`. */
type WithRef<K extends string> = { [P in K]?: NestedRef | null };
/** The name of a nested reference (the default label). */
const refName = (v: NestedRef) => v.name;

/** A cell linking the nested object of a field (`router: {id, name}`) to its page. */
export const refCell =
  <T extends WithRef<K>, K extends keyof T & string>(field: K, label: (v: NonNullable<T[K]>) => ReactNode = refName) =>
  (r: T) => {
    const v = r[field];
    return v ? (
      <ObjLink res={REF_TARGET[field]!} id={v.id}>
        {label(v)}
      </ObjLink>
    ) : (
      <span className="muted">—</span>
    );
  };
/** The CSV text of a nested object. */
export const refCsv =
  <T extends WithRef<K>, K extends keyof T & string>(field: K, label: (v: NonNullable<T[K]>) => unknown = refName) =>
  (r: T) => {
    const v = r[field];
    return v ? label(v) : '';
  };
/** A plain text cell; — when empty. */
export const text =
  <T, K extends keyof T & string>(field: K) =>
  (r: T) => {
    const v: unknown = r[field];
    return v === null || v === undefined || v === '' ? <span className="muted">—</span> : String(v);
  };
/** A monospace cell (addresses, slugs); — when empty. */
export const mono =
  <T extends { [P in K]?: ReactNode }, K extends keyof T & string>(field: K) =>
  (r: T) => {
    const v = r[field];
    return v ? <span className="mono">{v}</span> : <span className="muted">—</span>;
  };
/** The name linking to the object's page. */
export const nameLink = (res: string) => (r: { id: number; name: ReactNode }) => (
  <Link to={`/${res}/${r.id}`}>{r.name}</Link>
);
/** A column. */
export const col = <T extends object>(
  id: string,
  header: string,
  cell: Column<T>['cell'],
  extra: Partial<Column<T>> = {},
): Column<T> => ({ id, header, cell, ...extra });
export const idCol: Column<{ id: number }> = col('id', 'ID', (r) => r.id, { sort: 'id', hidden: true, width: 60 });
export const descCol: Column<{ description?: string | null }> = col('description', 'Description', text('description'), {
  hidden: true,
});

export const routerField: FieldSpec = { name: 'router', label: 'Router', kind: 'ref', ref: 'routers', required: true };
export const descField: FieldSpec = {
  name: 'description',
  label: 'Description',
  kind: 'textarea',
  emptyAs: 'null',
  span: 2,
};
export const statusField: FieldSpec = { name: 'status', label: 'Status', kind: 'select', options: STATUS };
export const routerFilter: FilterDef = { name: 'router', label: 'Router', kind: 'ref', ref: 'routers' };
export const statusFilter: FilterDef = { name: 'status', label: 'Status', kind: 'multi', options: STATUS };
