// `peerdesk render`: renders a config template from files (template development/CI) or for a stored router.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';

interface RenderOptions {
  templateFile?: string;
  contextFile?: string;
  router?: string;
  template?: string;
  trimBlocks?: boolean;
  lstripBlocks?: boolean;
  strict?: boolean;
  dialect: string;
  out?: string;
}

/** Registers the `render` command. */
export function register(program: Command): void {
  program
    .command('render')
    .description('Render a config template: from files with no database, or for a router (--router)')
    .option('--template-file <file>', 'Jinja2 template file to render')
    .option('--context-file <file>', 'JSON file with the render context')
    .option('--router <name>', 'render the stored configuration of this router (uses the database)')
    .option('--template <name>', 'stored template name (with --router)')
    .option('--trim-blocks', 'remove the first newline after a block tag (Jinja2 trim_blocks)')
    .option('--lstrip-blocks', 'strip whitespace before a block tag at line start (Jinja2 lstrip_blocks)')
    .option('--strict', 'fail on undefined variables (StrictUndefined)')
    .option(
      '--dialect <dialect>',
      'filter set of --template-file: jinja2 (plain Jinja2 builtins + Peerdesk filters), netbox or peering-manager (its indent also indents the first line)',
      'jinja2',
    )
    .option('--out <file>', 'write the output to this file instead of stdout')
    .action(async (opts: RenderOptions) => {
      const content = opts.router ? await renderForRouter(opts) : await renderFiles(opts);
      if (opts.out) {
        writeFileSync(opts.out, content);
      } else {
        const { writeStdout } = await import('./output.ts');
        writeStdout(content);
      }
    });
}

async function renderFiles(opts: RenderOptions): Promise<string> {
  if (!opts.templateFile) throw new Error('--template-file is required (or use --router)');
  const source = readFileSync(opts.templateFile, 'utf8');
  const context = opts.contextFile
    ? (JSON.parse(readFileSync(opts.contextFile, 'utf8')) as Record<string, unknown>)
    : {};
  const { createPeerdeskEnvironment, TEMPLATE_DIALECTS } = await import('../templates/environment.ts');
  const dialect = TEMPLATE_DIALECTS.find((d) => d === opts.dialect);
  if (!dialect) throw new Error(`--dialect must be one of ${TEMPLATE_DIALECTS.join(', ')}, got "${opts.dialect}"`);
  // include/import/extends resolve next to the template file first, then among the shipped templates.
  const dir = dirname(opts.templateFile);
  const env = createPeerdeskEnvironment({
    trimBlocks: !!opts.trimBlocks,
    lstripBlocks: !!opts.lstripBlocks,
    undefined: opts.strict ? 'strict' : 'default',
    dialect,
    loader: (name) => {
      if (name.includes('..') || name.startsWith('/')) return undefined;
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
  return env.fromString(source, basename(opts.templateFile)).render(context);
}

async function renderForRouter(opts: RenderOptions): Promise<string> {
  const path = '../templates/render.service.ts';
  let mod: { renderForRouterByName?: (args: { router: string; template?: string }) => Promise<{ content: string }> };
  try {
    mod = await import(path);
  } catch (err) {
    throw new Error(
      `rendering for a router needs the template store (src/templates/render.service.ts), which is not available: ${(err as Error).message}`,
    );
  }
  if (typeof mod.renderForRouterByName !== 'function')
    throw new Error('render.service.ts does not export renderForRouterByName');
  const res = await mod.renderForRouterByName({ router: opts.router!, template: opts.template });
  return res.content;
}
