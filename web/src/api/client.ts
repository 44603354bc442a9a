// The typed API client: openapi-fetch over the generated schema, with the CSRF header and 401 handling.
import createClient, { type Middleware } from 'openapi-fetch';
import type { paths, components } from './schema';

export type { paths, components };
export type Schemas = components['schemas'];
export type Row = Record<string, any>;

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
  constructor(status: number, body: any) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code ?? 'error';
    this.fields = Array.isArray(body?.errors) ? body.errors : [];
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
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && csrfToken) request.headers.set('X-CSRF-Token', csrfToken);
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

/** The CRUD resources the generic screens serve (plural kebab-case under /api/). */
export type ResourcePath =
  | 'relationships' | 'peer-asns' | 'fabrics' | 'peering-networks' | 'peering-connections' | 'peering-sessions'
  | 'platforms' | 'routers' | 'peer-groups' | 'bgp-peers' | 'prefix-lists' | 'routing-policies' | 'communities' | 'bfd-profiles'
  | 'templates';

/** One page of a list endpoint. */
export interface Page<T = Row> {
  count: number;
  results: T[];
}

export type ListParams = Record<string, string | number | undefined>;

// The generic screens address every resource with one code path; the spec types each resource's
// routes identically (list/get/create/patch/delete/bulk), so one representative path types them all.
type ListPath = '/api/relationships/';
type OnePath = '/api/relationships/{id}/';
type BulkPath = '/api/relationships/bulk/';
const listPath = (res: ResourcePath) => `/api/${res}/` as ListPath;
const onePath = (res: ResourcePath) => `/api/${res}/{id}/` as OnePath;
const bulkPath = (res: ResourcePath) => `/api/${res}/bulk/` as BulkPath;

const clean = (q: ListParams) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '')) as any;

/** Lists one page of a resource with filters, search and ordering. */
export async function listResource(res: ResourcePath, query: ListParams, signal?: AbortSignal): Promise<Page> {
  return unwrap(await api.GET(listPath(res), { params: { query: clean(query) }, signal })) as Page;
}

/** Loads one object; its ETag (for If-Match) is returned alongside. */
export async function getResource(res: ResourcePath, id: number): Promise<{ row: Row; etag: string | null }> {
  const r = await api.GET(onePath(res), { params: { path: { id } } });
  return { row: unwrap(r) as Row, etag: r.response.headers.get('etag') };
}

/** Creates an object. */
export async function createResource(res: ResourcePath, body: Row): Promise<Row> {
  return unwrap(await api.POST(listPath(res), { body: body as any })) as Row;
}

/** Updates fields of an object, refusing a stale write when the ETag is given. */
export async function patchResource(res: ResourcePath, id: number, body: Row, etag?: string | null): Promise<Row> {
  return unwrap(await api.PATCH(onePath(res), { params: { path: { id } }, body: body as any, headers: etag ? { 'If-Match': etag } : {} })) as Row;
}

/** Deletes an object; `replaceWith` moves every reference to another object of the kind first. */
export async function deleteResource(res: ResourcePath, id: number, replaceWith?: number): Promise<void> {
  unwrap(await api.DELETE(onePath(res), { params: { path: { id }, ...(replaceWith ? { query: { replace_with: replaceWith } } : {}) } as any }));
}

/** Deletes several objects in one all-or-nothing request. */
export async function bulkDeleteResource(res: ResourcePath, ids: number[]): Promise<void> {
  unwrap(await api.DELETE(bulkPath(res), { body: ids.map((id) => ({ id })) as any }));
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
