// The Peerdesk template environment: the Jinja2-compatible engine plus Peering Manager's filters and
// the shipped templates directory as a fallback loader.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, normalize } from 'node:path';
import { Environment, type EnvironmentOptions, type TemplateLoader } from './engine/index.ts';
import { PEERDESK_FILTERS } from './filters/peerdesk.ts';

/** Directory of the templates Peerdesk ships (junos.j2, eos.j2, ...). */
export const SHIPPED_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

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

/** Creates an Environment with Peerdesk's filters registered and shipped templates loadable by name. */
export function createPeerdeskEnvironment(options: EnvironmentOptions = {}): Environment {
  return new Environment({
    ...options,
    loader: chainLoader(options.loader),
    filters: { ...PEERDESK_FILTERS, ...(options.filters ?? {}) },
  });
}
