// The Peerdesk template environment: the Jinja2-compatible engine plus Peerdesk's filters and the
// shipped templates directory as a fallback loader. The filter set depends on the template's dialect.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, normalize } from 'node:path';
import { Environment, type CallableSpec, type EnvironmentOptions, type TemplateLoader } from './engine/index.ts';
import { NETBOX_PLUGIN_FILTERS, PEERDESK_FILTERS, PEERING_MANAGER_FILTERS } from './filters/peerdesk.ts';
import { NAMING_FILTERS } from './filters/naming.ts';
import { POLICY_FILTERS } from './filters/policy.ts';

/** Directory of the templates Peerdesk ships (junos.j2, eos.j2, ...). */
export const SHIPPED_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/**
 * Which system a template was written for, and so which filters it sees:
 * - `jinja2`: Jinja2's builtins (its `indent` leaves the first line alone) + every Peerdesk filter;
 * - `netbox`: Jinja2's builtins + the NetBox plugin's filters + Peerdesk's naming/policy filters;
 * - `peering-manager`: Jinja2's builtins + Peering Manager's filters (its `indent` indents the first line)
 *   + the NetBox plugin's and Peerdesk's.
 */
export type TemplateDialect = 'jinja2' | 'netbox' | 'peering-manager';
export const TEMPLATE_DIALECTS: readonly TemplateDialect[] = ['jinja2', 'netbox', 'peering-manager'];

export interface PeerdeskEnvironmentOptions extends EnvironmentOptions {
  /** Default `jinja2`. */
  dialect?: TemplateDialect;
}

/** Reads a shipped template by file name, or undefined if there is none. */
export function readShippedTemplate(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) return undefined;
  try {
    return readFileSync(normalize(join(SHIPPED_TEMPLATES_DIR, name)), 'utf8');
  } catch {
    return undefined;
  }
}

function chainLoader(primary: TemplateLoader | undefined): (name: string) => string | undefined {
  return (name) => {
    let src: string | null | undefined;
    if (typeof primary === 'function') src = primary(name);
    else if (primary instanceof Map) src = primary.get(name);
    else if (primary && Object.hasOwn(primary, name)) src = primary[name];
    return src ?? readShippedTemplate(name);
  };
}

/** The Peerdesk filters a dialect adds on top of Jinja2's builtins. */
export function dialectFilters(dialect: TemplateDialect = 'jinja2'): Record<string, CallableSpec> {
  const own = { ...NAMING_FILTERS, ...POLICY_FILTERS };
  switch (dialect) {
    case 'netbox':
      // ip_network is one of the plugin's filters that Peering Manager also has.
      return { ip_network: PEERDESK_FILTERS.ip_network, ...NETBOX_PLUGIN_FILTERS, ...own };
    case 'peering-manager':
      return { ...PEERDESK_FILTERS, ...PEERING_MANAGER_FILTERS, ...own };
    default:
      // Every Peerdesk filter, but Jinja2's own `indent`.
      return { ...PEERDESK_FILTERS, ...own };
  }
}

/** Creates an Environment with the dialect's filters registered and shipped templates loadable by name. */
export function createPeerdeskEnvironment(options: PeerdeskEnvironmentOptions = {}): Environment {
  const { dialect, ...rest } = options;
  if (dialect !== undefined && !TEMPLATE_DIALECTS.includes(dialect))
    throw new Error(`unknown template dialect ${JSON.stringify(dialect)}`);
  return new Environment({
    ...rest,
    loader: chainLoader(rest.loader),
    filters: { ...dialectFilters(dialect), ...(rest.filters ?? {}) },
  });
}
