// E-mail templates: shipped files under templates/email/ and stored ones (stored wins by name), and
// rendering subject + body with the sandboxed Jinja2-compatible engine (worker pool when present).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { json } from '../platform/crud.ts';
import { ValidationError } from '../platform/errors.ts';
import type { Selectable } from 'kysely';
import { storedEnum, type Executor } from '../platform/db.ts';
import type { EmailTemplatesTable } from '../platform/db.types.ts';
import { TemplateError, TemplateSyntaxError } from '../templates/engine/index.ts';
import { createPeerdeskEnvironment } from '../templates/environment.ts';
import { renderIsolated } from '../templates/render-pool.ts';

/** Directory of the shipped e-mail templates. */
export const SHIPPED_EMAIL_DIR = fileURLToPath(new URL('../../templates/email/', import.meta.url));

/** PeeringDB's contact roles, in the order the UI lists them. */
export const CONTACT_ROLES = [
  'Policy',
  'NOC',
  'Technical',
  'Maintenance',
  'Abuse',
  'Sales',
  'Public Relations',
] as const;
export type ContactRole = (typeof CONTACT_ROLES)[number];

export const TEMPLATE_PURPOSES = [
  'request',
  'noc',
  'policy',
  'technical',
  'maintenance',
  'session_down',
  'other',
] as const;
export type TemplatePurpose = (typeof TEMPLATE_PURPOSES)[number];

export interface EmailTemplate {
  id: number | null;
  name: string;
  purpose: TemplatePurpose;
  subject: string;
  body: string;
  recipientRoles: ContactRole[];
  version: number;
  shipped: boolean;
}

/**
 * Parses a shipped file: `{# purpose: … #}` and `{# roles: A, B #}` lines, then `Subject: …`, a blank
 * line and the body (the layout of a mail, so the files read like the messages they make).
 */
export function parseTemplateFile(name: string, text: string): EmailTemplate {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const meta: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^\{#\s*(\w+):\s*(.*?)\s*#\}$/.exec(lines[i]);
    if (!m) break;
    meta[m[1]] = m[2];
  }
  const subj = /^Subject:\s?(.*)$/.exec(lines[i] ?? '');
  if (!subj) throw new Error(`shipped e-mail template ${name}: line ${i + 1} must be "Subject: …"`);
  const body = lines.slice(i + 2).join('\n');
  const purpose = TEMPLATE_PURPOSES.find((p) => p === (meta.purpose ?? 'other'));
  if (!purpose)
    throw new Error(`shipped e-mail template ${name}: purpose must be one of ${TEMPLATE_PURPOSES.join(', ')}`);
  const roles = (meta.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter((r): r is ContactRole => (CONTACT_ROLES as readonly string[]).includes(r));
  return {
    id: null,
    name,
    purpose,
    subject: subj[1],
    body,
    recipientRoles: roles,
    version: 0,
    shipped: true,
  };
}

/** Every shipped e-mail template, by name (file name without .j2). */
export function shippedEmailTemplates(): EmailTemplate[] {
  return readdirSync(SHIPPED_EMAIL_DIR)
    .filter((f) => f.endsWith('.j2'))
    .sort()
    .map((f) => parseTemplateFile(f.replace(/\.j2$/, ''), readFileSync(join(SHIPPED_EMAIL_DIR, f), 'utf8')));
}

/** A stored template row as the service uses it. */
export function fromRow(r: Selectable<EmailTemplatesTable>): EmailTemplate {
  return {
    id: Number(r.id),
    name: r.name,
    purpose: storedEnum(TEMPLATE_PURPOSES, r.purpose, 'template purpose'),
    subject: r.subject,
    body: r.body,
    recipientRoles: json<ContactRole[]>(r.recipient_roles, []),
    version: Number(r.version),
    shipped: false,
  };
}

/** Finds a template by id or name: stored first, then shipped. */
export async function loadEmailTemplate(
  db: Executor,
  ref: number | string,
  field = 'template',
): Promise<EmailTemplate> {
  const templates = db.selectFrom('email_templates').selectAll();
  const row = await (
    typeof ref === 'number' ? templates.where('id', '=', ref) : templates.where('name', '=', ref)
  ).executeTakeFirst();
  if (row) return fromRow(row);
  if (typeof ref === 'string') {
    const shipped = shippedEmailTemplates().find((t) => t.name === ref || `${t.name}.j2` === ref);
    if (shipped) return shipped;
  }
  throw new ValidationError(field, `no e-mail template ${JSON.stringify(ref)} (stored or shipped)`);
}

// Lenient undefined (Jinja2's default): optional variables such as vars.start are tested with `if` and print empty.
const OPTIONS = {
  trimBlocks: false,
  lstripBlocks: false,
  keepTrailingNewline: true,
  undefined: 'default',
  dialect: 'jinja2',
} as const;

/** Compiles subject and body, turning a syntax error into a 400 naming the field, line and column. */
export function checkEmailTemplate(subject: string, body: string): void {
  const env = createPeerdeskEnvironment(OPTIONS);
  for (const [field, src] of [
    ['subject', subject],
    ['body', body],
  ] as const) {
    try {
      env.fromString(src);
    } catch (err) {
      if (err instanceof TemplateSyntaxError)
        throw new ValidationError(
          field,
          `line ${err.line}, column ${err.column}: ${err.message.replace(/ \(<template>, line \d+, column \d+\)$/, '')}`,
        );
      throw err;
    }
  }
}

async function renderOne(src: string, name: string, context: Record<string, unknown>, field: string): Promise<string> {
  try {
    // The worker pool keeps a runaway template off the event loop and inside its memory budget.
    return await renderIsolated({ body: src, name, options: OPTIONS, templates: {}, context });
  } catch (err) {
    if (err instanceof TemplateSyntaxError)
      throw new ValidationError(field, `syntax error at line ${err.line}, column ${err.column}: ${err.message}`);
    if (err instanceof TemplateError)
      throw new ValidationError(field, `render error${err.line ? ` at line ${err.line}` : ''}: ${err.message}`);
    throw err;
  }
}

/** Renders a template's subject (one line) and body over a JSON context. */
export async function renderEmailTemplate(
  t: EmailTemplate,
  context: Record<string, unknown>,
): Promise<{ subject: string; body: string }> {
  const subject = await renderOne(t.subject, `${t.name}:subject`, context, 'subject');
  const body = await renderOne(t.body, t.name, context, 'body');
  // The subject is a header: one line whatever the template printed.
  return {
    subject: subject
      .replace(/[\u0000-\u001f\u007f\u2028\u2029\u0085]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .slice(0, 998),
    body: body.replace(/\n{3,}/g, '\n\n').replace(/^\n+/, ''),
  };
}
