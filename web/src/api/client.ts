// The typed API client: openapi-fetch over the generated schema, with the CSRF header and 401 handling.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths, components } from './schema';

export type { paths, components };
export type Schemas = components['schemas'];

/** A field-level problem as the API reports it (`errors: [{field, message}]`). */
export interface FieldError {
  field: string;
  message: string;
}

/** An API failure carrying the problem+json details. */
export class ApiError extends Error {
  status: number;
  code: string;
  fields: FieldError[];
  constructor(status: number, body: unknown) {
    const b = (body && typeof body === 'object' ? body : {}) as {
      detail?: string;
      title?: string;
      code?: string;
      errors?: unknown;
    };
    super(b.detail || b.title || `HTTP ${status}`);
    this.status = status;
    this.code = b.code ?? 'error';
    this.fields = Array.isArray(b.errors) ? (b.errors as FieldError[]) : [];
  }
  /** Errors keyed by field name (first message wins). */
  byField(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of this.fields) if (!(f.field in out)) out[f.field] = f.message;
    return out;
  }
}

let csrfToken: string | null = null;
/** Remembers the CSRF token returned by login or /api/auth/me. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

let onUnauthorized: () => void = () => {};
/** Registers what happens when the session expires (the app shows the login page). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

const middleware: Middleware = {
  onRequest({ request }) {
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && csrfToken)
      request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
  onResponse({ response, request }) {
    // The login call itself answers 401 for a wrong password: that is a form error, not an expired session.
    if (response.status === 401 && !request.url.includes('/api/auth/login')) onUnauthorized();
    return response;
  },
};

/** The one API client of the UI. */
export const api = createClient<paths>({ baseUrl: '' });
api.use(middleware);

/** Unwraps an openapi-fetch result: the data, or throws an ApiError with field details. */
export function unwrap<T>(r: { data?: T; error?: unknown; response: Response }): T {
  if (r.error !== undefined || !r.response.ok) throw new ApiError(r.response.status, r.error);
  return r.data as T;
}

/** The object each CRUD resource of the generic screens presents (plural kebab-case under /api/). */
export interface ResourceTypes {
  relationships: Schemas['Relationship'];
  'peer-asns': Schemas['PeerAsn'];
  fabrics: Schemas['Fabric'];
  'peering-networks': Schemas['PeeringNetwork'];
  'peering-connections': Schemas['PeeringConnection'];
  'peering-sessions': Schemas['PeeringSession'];
  platforms: Schemas['Platform'];
  routers: Schemas['Router'];
  'peer-groups': Schemas['PeerGroup'];
  'bgp-peers': Schemas['BgpPeer'];
  'prefix-lists': Schemas['PrefixList'];
  'routing-policies': Schemas['RoutingPolicy'];
  communities: Schemas['Community'];
  'bfd-profiles': Schemas['BfdProfile'];
  templates: Schemas['ConfigTemplate'];
}

/** The CRUD resources the generic screens serve. */
export type ResourcePath = keyof ResourceTypes;

/** One page of a list endpoint. */
export interface Page<T> {
  count: number;
  results: T[];
}

export type ListParams = Record<string, string | number | undefined>;

// The generic screens address every resource with one code path; the spec types each resource's
// routes identically (list/get/create/patch/delete/bulk), so one representative path types the call
// and the helpers' signatures give each resource its own presented type.
type ListPath = '/api/relationships/';
type OnePath = '/api/relationships/{id}/';
type BulkPath = '/api/relationships/bulk/';
type ListQuery = NonNullable<paths[ListPath]['get']['parameters']['query']>;
/** A create or update body: built from a resource's form fields, checked by the API. */
type WriteBody = paths[ListPath]['post']['requestBody']['content']['application/json'];
const listPath = (res: ResourcePath) => `/api/${res}/` as ListPath;
const onePath = (res: ResourcePath) => `/api/${res}/{id}/` as OnePath;
const bulkPath = (res: ResourcePath) => `/api/${res}/bulk/` as BulkPath;

/** The list query without empty values (filters a user cleared). */
const clean = (q: ListParams) =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as ListQuery;

/**
 * Lists one page of a resource with filters, search and ordering. (With `brief: 1` the API answers
 * the brief shape, id and name-like fields only: read only those then.)
 */
export async function listResource<R extends ResourcePath>(
  res: R,
  query: ListParams,
  signal?: AbortSignal,
): Promise<Page<ResourceTypes[R]>> {
  return unwrap(await api.GET(listPath(res), { params: { query: clean(query) }, signal })) as unknown as Page<
    ResourceTypes[R]
  >;
}

/** Loads one object; its ETag (for If-Match) is returned alongside. */
export async function getResource<R extends ResourcePath>(
  res: R,
  id: number,
): Promise<{ row: ResourceTypes[R]; etag: string | null }> {
  const r = await api.GET(onePath(res), { params: { path: { id } } });
  return { row: unwrap(r) as ResourceTypes[R], etag: r.response.headers.get('etag') };
}

/** A create or update body as the generic form builds it (field name → value); the API checks it. */
export type FormBody = Record<string, unknown>;

/** Creates an object. */
export async function createResource<R extends ResourcePath>(res: R, body: FormBody): Promise<ResourceTypes[R]> {
  return unwrap(await api.POST(listPath(res), { body: body as WriteBody })) as ResourceTypes[R];
}

/** Updates fields of an object, refusing a stale write when the ETag is given. */
export async function patchResource<R extends ResourcePath>(
  res: R,
  id: number,
  body: FormBody,
  etag?: string | null,
): Promise<ResourceTypes[R]> {
  return unwrap(
    await api.PATCH(onePath(res), {
      params: { path: { id } },
      body: body as WriteBody,
      headers: etag ? { 'If-Match': etag } : {},
    }),
  ) as ResourceTypes[R];
}

/** Deletes an object; `replaceWith` moves every reference to another object of the kind first. */
export async function deleteResource(res: ResourcePath, id: number, replaceWith?: number): Promise<void> {
  unwrap(
    await api.DELETE(onePath(res), {
      params: { path: { id }, ...(replaceWith ? { query: { replace_with: replaceWith } } : {}) },
    }),
  );
}

/** Deletes several objects in one all-or-nothing request. */
export async function bulkDeleteResource(res: ResourcePath, ids: number[]): Promise<void> {
  unwrap(await api.DELETE(bulkPath(res), { body: ids.map((id) => ({ id })) }));
}

/** Which optional back ends this installation has. */
export interface Capabilities {
  peeringdb: boolean;
  irr: boolean;
  templates: boolean;
  /** Live BGP state from routers (Refresh). */
  polling: boolean;
  /** Pushing configuration to routers (Configure). */
  drivers: boolean;
  email: boolean;
}
