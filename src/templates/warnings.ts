// Warnings about what a rendered config would do with a session: the one rule behind the warnings of
// render-config, the template preview and the session page. A family without an import filter (no
// prefix list, no import policy) is rendered to import nothing (RFC 8212); one without an export
// policy or prefix list exports nothing. Both deserve a word before the config reaches a router.
import type { Executor } from '../platform/db.ts';
import type { RenderContext, SessionCtx } from './context.ts';
import { resolveSessionFamilies, type PolicyContext } from './filters/policy.ts';

/** One warning about a session. */
export interface SessionFilterWarning {
  session_id: number;
  family: 4 | 6;
  kind: 'no-import-filter' | 'no-export-filter';
  message: string;
}

/** The structured warnings of one session, given the render context it belongs to. */
export function sessionFilterIssues(session: SessionCtx, ctx: PolicyContext): SessionFilterWarning[] {
  const out: SessionFilterWarning[] = [];
  const who = `AS${session.peer_asn} ${session.peer_name} ${session.peer_ip ?? session.remote_ip} (session ${session.id})`;
  for (const f of resolveSessionFamilies(ctx, session as unknown as Record<string, unknown>)) {
    if (!f.import_filtered) {
      out.push({
        session_id: session.id,
        family: f.family,
        kind: 'no-import-filter',
        message: `${who}: no import filter for IPv${f.family} (no prefix list or IRR prefix list with entries, no import policy): the shipped templates import nothing from it`,
      });
    }
    if (!f.export_filtered) {
      out.push({
        session_id: session.id,
        family: f.family,
        kind: 'no-export-filter',
        message: `${who}: no export policy or prefix list with entries for IPv${f.family}: the shipped templates export nothing to it`,
      });
    }
  }
  return out;
}

/** Warning texts for one session (the session page shows them). */
export function sessionFilterWarnings(session: SessionCtx, ctx: PolicyContext): string[] {
  return sessionFilterIssues(session, ctx).map((w) => w.message);
}

/** Warning texts for every session of a render context, in session order. */
export function renderWarnings(ctx: RenderContext): string[] {
  return ctx.sessions.flatMap((s) => sessionFilterWarnings(s, ctx as unknown as PolicyContext));
}

/** The structured warnings of one stored peering session, loading only what it needs. */
export async function sessionWarningsById(db: Executor, sessionId: number): Promise<SessionFilterWarning[]> {
  const { buildRenderContext } = await import('./render.service.ts');
  const ctx = await buildRenderContext(db, { sessionIds: [sessionId] }, { includeSecrets: false });
  return ctx.sessions.flatMap((s) => sessionFilterIssues(s, ctx as unknown as PolicyContext));
}
