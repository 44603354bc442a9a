// Session actions on the deploy pipeline: Configure / Config Manager (a deployment of the session's
// router, optionally with an edited candidate, one-time commands and credentials) and "also remove
// from the router" (a deployment rendered without the session, which deletes it when it succeeds).
import type { Db } from '../platform/db.ts';
import type { SecretBox } from '../platform/crypto.ts';
import { loadRow } from '../platform/crud.ts';
import { ValidationError } from '../platform/errors.ts';
import { peeringSessions } from '../sessions/peering-sessions.resource.ts';
import { proposeDeployment, type DeploymentInput, type DeploymentRow, type Proposer } from './deploy.service.ts';

/** The body of configure / config-manager / remove-from-router. */
export type SessionActionInput = Omit<
  DeploymentInput,
  'dry_run' | 'action' | 'session_id' | 'session_repr' | 'rollout_id' | 'rollout_order'
> & { dry_run?: boolean };

/** Proposes a configure or deconfigure deployment for a session's router. */
export async function proposeSessionAction(
  db: Db,
  sessionId: number,
  action: 'configure' | 'deconfigure',
  input: SessionActionInput,
  who: Proposer,
  secrets?: SecretBox,
): Promise<{ deployment: DeploymentRow; jobId: number | null }> {
  const row = await loadRow(peeringSessions, db, sessionId); // 404 when missing
  const peer = await db
    .selectFrom('bgp_peers')
    .select('router_id')
    .where('id', '=', Number(row.bgp_peer_id))
    .executeTakeFirst();
  if (!peer || peer.router_id === null || peer.router_id === undefined)
    throw new ValidationError('router', `session ${peeringSessions.repr(row)} is on no router: nothing to deploy`);
  return proposeDeployment(
    db,
    Number(peer.router_id),
    {
      ...input,
      dry_run: input.dry_run ?? false,
      action,
      session_id: sessionId,
      session_repr: peeringSessions.repr(row),
    },
    who,
    { secrets },
  );
}
