// Templates: the store (CRUD + versions + diff), render-config, and a live preview for the editor.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { json, registerResource } from '../platform/crud.ts';
import { TEMPLATE_VERSIONS } from './template-versions.service.ts';
import { listVersions } from '../platform/versions.ts';
import { NotFoundError, ValidationError } from '../platform/errors.ts';
import { roleAtLeast } from '../platform/principal.ts';
import {
  configTemplates,
  checkSyntaxIsolatedField,
  newTemplateOptions,
  templateOptions,
  type TemplateOptions,
} from './templates.resource.ts';
import { renderWarnings } from './warnings.ts';
import { buildRenderContext, renderConfig, renderTemplate } from './render.service.ts';

/** Most session ids one render-config or preview call takes (queries read them in chunks). */
export const MAX_RENDER_SESSIONS = 100_000;

/** Mounts /api/templates/, /api/render-config/ (and its NetBox plugin alias) and /api/templates/preview/. */
export default async function templateRoutes(app: FastifyInstance): Promise<void> {
  registerResource(app, configTemplates);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const idParams = z.object({
    id: z.coerce
      .number()
      .int()
      .min(1)
      .max(2 ** 53 - 1),
  });
  const canSeeSecrets = (req: FastifyRequest) => {
    const p = req.principal;
    return !!p && roleAtLeast(p.role, 'admin');
  };

  r.get(
    '/api/templates/shipped/',
    {
      schema: {
        tags: ['templates'],
        summary: 'Templates shipped with Peerdesk (usable by name in render-config, or as a start for your own)',
        response: { 200: z.array(z.object({ name: z.string(), platform: z.string(), body: z.string() })) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async () => {
      const { readdirSync } = await import('node:fs');
      const { SHIPPED_TEMPLATES_DIR, readShippedTemplate } = await import('./environment.ts');
      return readdirSync(SHIPPED_TEMPLATES_DIR)
        .filter((f) => f.endsWith('.j2'))
        .sort()
        .map((name) => ({ name, platform: name.replace(/\.j2$/, ''), body: readShippedTemplate(name) ?? '' }));
    },
  );

  const versionOut = z.object({
    version: z.number().int(),
    created_at: z.string(),
    created_by: z.string().nullable(),
    body: z.string(),
    options: templateOptions,
    diff: z.string().nullable(),
  });
  r.get(
    '/api/templates/:id/versions/',
    {
      schema: {
        tags: ['templates'],
        summary: 'Every saved version of a template, newest first, with the diff from the one before',
        params: idParams,
        response: { 200: z.array(versionOut) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const t = await app.db
        .selectFrom('config_templates')
        .select('id')
        .where('id', '=', req.params.id)
        .executeTakeFirst();
      if (!t) throw new NotFoundError('config-template', req.params.id);
      const rows = await listVersions(app.db, TEMPLATE_VERSIONS, req.params.id);
      return rows.map((v) => ({
        version: Number(v.version),
        created_at: v.created_at,
        created_by: v.created_by ?? null,
        body: v.body,
        options: json<TemplateOptions>(v.options, {}),
        diff: v.diff ?? null,
      }));
    },
  );

  const target = {
    template: z
      .union([z.number().int().min(1), z.string().min(1).max(200)])
      .describe('template id, stored name, or a shipped template such as junos.j2'),
    router: z.number().int().min(1).optional(),
    device: z.number().int().min(1).optional().describe('alias of router (NetBox plugin compatibility)'),
    sessions: z
      .array(
        z
          .number()
          .int()
          .min(1)
          .max(2 ** 53 - 1),
      )
      .min(1)
      .max(MAX_RENDER_SESSIONS)
      .optional()
      .describe(`wins over router when both are given; at most ${MAX_RENDER_SESSIONS} ids`),
    include_context: z.boolean().optional(),
  };
  const renderBody = z.object(target).strict();
  const warningsOut = z
    .array(z.string())
    .describe(
      'sessions rendered without an import filter (they import nothing) or export policy (they export nothing)',
    );
  const renderSchema = (summary: string, description?: string) => ({
    tags: ['templates'],
    summary,
    ...(description ? { description } : {}),
    body: renderBody,
    response: {
      200: z.object({
        content: z.string(),
        session_count: z.number().int(),
        warnings: warningsOut,
        template: z.object({ id: z.number().int().nullable(), name: z.string(), version: z.number().int() }),
        router: z.object({ id: z.number().int(), name: z.string() }).nullable(),
        context: z.unknown().optional(),
      }),
    },
  });
  // One handler for both URLs; the body was validated against renderBody by the route schema.
  const renderHandler = async (req: FastifyRequest, reply: FastifyReply) => {
    const b = req.body as z.infer<typeof renderBody>;
    const routerId = b.router ?? b.device;
    if (!b.sessions && !routerId)
      throw new ValidationError('router', 'give a router (or device) or a list of sessions');
    const out = await renderConfig(app.db, {
      template: b.template,
      routerId: b.sessions ? undefined : routerId,
      sessionIds: b.sessions,
      includeSecrets: canSeeSecrets(req),
      secrets: app.secrets,
      withContext: b.include_context,
    });
    if (String(req.headers.accept ?? '').includes('text/plain'))
      return reply.type('text/plain; charset=utf-8').send(out.content);
    const router = out.router
      ? { id: out.router.id, name: out.router.name }
      : routerId
        ? {
            id: routerId,
            name:
              (await app.db.selectFrom('routers').select('name').where('id', '=', routerId).executeTakeFirst())?.name ??
              '',
          }
        : null;
    return {
      content: out.content,
      session_count: out.sessionCount,
      warnings: out.warnings,
      template: { id: out.template.id, name: out.template.name, version: out.template.version },
      router,
      ...(b.include_context ? { context: out.context } : {}),
    };
  };
  r.post(
    '/api/render-config/',
    {
      schema: renderSchema(
        'Render a template for a router or a list of sessions (Accept: text/plain for the bare config)',
      ),
      preValidation: app.requireRole('viewer'),
    },
    renderHandler,
  );
  // The NetBox plugin's URL, so its scripts work unchanged.
  r.post(
    '/api/plugins/bgp/render-config/',
    {
      schema: renderSchema(
        "Alias of POST /api/render-config/ (the NetBox plugin's URL)",
        'Same body, answer and permissions as /api/render-config/.',
      ),
      preValidation: app.requireRole('viewer'),
    },
    renderHandler,
  );

  r.post(
    '/api/templates/preview/',
    {
      schema: {
        tags: ['templates'],
        summary: 'Render an unsaved template body (the editor preview); syntax errors name line and column',
        body: z
          .object({
            body: z.string().max(2_000_000),
            options: templateOptions
              .optional()
              .describe("as stored on the template; without them, a new template's (dialect jinja2, strict)"),
            router: z.number().int().min(1).optional(),
            sessions: z
              .array(
                z
                  .number()
                  .int()
                  .min(1)
                  .max(2 ** 53 - 1),
              )
              .min(1)
              .max(MAX_RENDER_SESSIONS)
              .optional(),
          })
          .strict(),
        response: { 200: z.object({ content: z.string(), session_count: z.number().int(), warnings: warningsOut }) },
      },
      preValidation: app.requireRole('viewer'),
    },
    async (req) => {
      const b = req.body;
      // Given options are read as stored ones (no dialect = a template stored before dialects); none = a new template.
      const options = b.options ?? newTemplateOptions();
      await checkSyntaxIsolatedField(b.body, options);
      if (!b.router && !b.sessions)
        throw new ValidationError('router', 'choose a router or sessions to preview against');
      const context = await buildRenderContext(
        app.db,
        { routerId: b.sessions ? undefined : b.router, sessionIds: b.sessions },
        { includeSecrets: false, secrets: app.secrets },
      );
      const content = await renderTemplate(
        app.db,
        { id: null, name: 'preview', body: b.body, options, version: 0 },
        context,
      );
      return { content, session_count: context.sessions.length, warnings: renderWarnings(context) };
    },
  );
}
