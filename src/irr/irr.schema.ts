// The IRR reports as the API answers them (OpenAPI) and the types expand.ts returns, inferred from them.
import { z } from 'zod';

const kind = z.enum(['asn', 'as-set']).describe('what the target is: an ASN or an AS-SET');
const prefixCount = z
  .object({ ipv4: z.number().int(), ipv6: z.number().int() })
  .describe('prefixes found per family (0 for a family not asked for)');
const ignoredAsns = z.array(z.number().int()).describe('private or documentation ASNs among the origins, not expanded');
const queries = z.number().int().describe('IRR queries sent');
const elapsedMs = z.number().int().describe('milliseconds the IRR work took');

/** What an expansion found and what it cost. */
export const expandReport = z
  .object({
    target: z.string(),
    kind,
    exists: z.boolean().describe('false when the set is unknown (or empty: IRRd answers both with "D")'),
    strategy: z
      .enum(['origin', 'a-query', 'origins', 'walk'])
      .describe(
        "origin: an ASN's own prefixes; a-query: the server's !a; origins: the set's members, then each origin; walk: a source-pinned set walked with !i",
      ),
    originCount: z.number().int(),
    prefixCount,
    ignoredAsns,
    warnings: z.array(z.string()),
    queries,
    elapsedMs,
  })
  .meta({ id: 'IrrExpandReport' });

/** An AS-SET (or ASN) checked in the IRR: existence, members, depth, loops, missing sets and prefix counts. */
export const asSetReport = z
  .object({
    target: z.string(),
    kind,
    source: z.string().nullable().describe('the IRR source the set is pinned to (RIPE::AS-EXAMPLE), if any'),
    exists: z.boolean(),
    members: z.array(z.string()).describe('direct members of the set as registered'),
    nestedSets: z.array(z.string()).describe('nested sets reached below the root'),
    depth: z.number().int().describe('nesting levels of sets, the root counting as 1 (0 for an ASN)'),
    loops: z.array(z.array(z.string())).describe('each reference cycle as a path that returns to its start'),
    missing: z.array(z.string()).describe('referenced sets that do not exist in the selected sources'),
    empty: z.array(z.string()).describe('sets that exist but have no members'),
    origins: z.array(z.number().int()),
    ignoredAsns,
    prefixCount,
    warnings: z.array(z.string()),
    queries,
    elapsedMs,
  })
  .meta({ id: 'IrrSetReport' });

export type ExpandReport = z.infer<typeof expandReport>;
export type AsSetReport = z.infer<typeof asSetReport>;
