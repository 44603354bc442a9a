// Who is logged in, what the installation can do, and small shared hooks.
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, setCsrfToken, type Capabilities } from '../api/client';

export interface Me {
  id: number;
  username: string;
  role: string;
  can_write: boolean;
  csrf_token: string | null;
  /** The first start's one-time password is still in use. */
  must_change_password: boolean;
}

/** Loads the current user (null when logged out) and primes the CSRF token. */
export async function fetchMe(): Promise<Me | null> {
  const r = await api.GET('/api/auth/me');
  if (r.response.status === 401) return null;
  const me = unwrap(r) as Me;
  setCsrfToken(me.csrf_token);
  return me;
}

/** The current user; undefined while loading. */
export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: Infinity });
}

/** Which optional back ends exist (PeeringDB, IRR, templates, polling, drivers, e-mail). */
export function useCapabilities(): Capabilities {
  const q = useQuery({
    queryKey: ['capabilities'],
    queryFn: async () => unwrap(await api.GET('/api/capabilities')) as Capabilities,
    staleTime: 5 * 60_000,
  });
  return q.data ?? { peeringdb: false, irr: false, templates: false, polling: false, drivers: false, email: false };
}

/** Human text for a missing capability: which issue brings it. */
export const CAPABILITY_TEXT: Record<keyof Capabilities, string> = {
  peeringdb: 'PeeringDB integration',
  irr: 'IRR (AS-SET expansion and prefix lists)',
  templates: 'configuration templates',
  polling: 'router polling (live BGP state)',
  drivers: 'router drivers (configuration deployment)',
  email: 'e-mail (templates, outbox)',
};

/** Role order, as the API checks it. */
export function roleAtLeast(role: string | undefined, needed: 'viewer' | 'operator' | 'admin'): boolean {
  const order = ['viewer', 'operator', 'admin'];
  return order.indexOf(role ?? '') >= order.indexOf(needed);
}
