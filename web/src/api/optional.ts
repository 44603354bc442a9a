// Calls to capabilities whose routes are not in openapi.json yet. Each lives here, in one place,
// so wiring it when the route lands is a one-line change; until then the UI disables the control
// (driven by GET /api/capabilities) and these are never called.
import { api, unwrap, type Row } from './client';

// The IRR issue's import route, as planned; replace the cast once `npm run gen:client` has it.
const IRR_IMPORT = '/api/irr/import/';

/** Expands an AS-SET from the IRR and creates its prefix lists; returns a summary line. */
export async function irrImport(asSet: string, asn: number | null): Promise<string> {
  const r = unwrap(await (api.POST as any)(IRR_IMPORT, { body: { as_set: asSet, asn } })) as Row;
  const lists = Array.isArray(r.prefix_lists) ? r.prefix_lists.length : (r.created ?? '?');
  return `Imported ${asSet}: ${lists} prefix list(s).`;
}
