// Who is calling: the roles and the authenticated principal every layer checks against. The auth
// domain (src/auth/) creates principals; the HTTP edge and the write path only read them.

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller of a request. */
export interface Principal {
  userId: number;
  username: string;
  role: Role;
  via: 'token' | 'session';
  /** False for read-only API tokens. */
  canWrite: boolean;
  csrfToken?: string;
  tokenId?: number;
}

/** Whether `have` includes the rights of `need` (viewer < operator < admin). */
export function roleAtLeast(have: Role, need: Role): boolean {
  return ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/**
 * Turns credentials into a principal (throwing 401/403 domain errors when they are refused). The
 * auth domain provides it; the application wires it into the HTTP server (see src/app.ts).
 */
export interface Authenticator {
  /** An API key from `Authorization: Token <key>` or `Bearer <key>`. */
  token(key: string): Promise<Principal>;
  /** A UI session cookie. */
  session(id: string): Promise<Principal>;
}
