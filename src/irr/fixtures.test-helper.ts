// Test fixtures: as-sets over real ARIN route data (nested, a loop, a missing member, hierarchical names).
import type { AsSetObject } from '../../test/support/irrd-server.ts';

/** As-sets the IRR tests define on top of the ARIN routes (sources ARIN and RIPE). */
export const TEST_AS_SETS: AsSetObject[] = [
  { name: 'AS-AS112', members: ['AS112'], source: 'RIPE' },
  // Nested three levels, with a loop back to the top and a member that does not exist.
  { name: 'AS-PEERDESK', members: ['AS209', 'AS-CUSTOMERS', 'AS-MISSING', 'AS3356:AS-TRANSIT'], source: 'ARIN' },
  { name: 'AS-CUSTOMERS', members: ['AS6128', 'AS-DEEP', 'AS-PEERDESK', 'AS64500'], source: 'ARIN' },
  { name: 'AS-DEEP', members: ['AS11232', 'AS46887'], source: 'ARIN' },
  { name: 'AS3356:AS-TRANSIT', members: ['AS174', 'AS20115'], source: 'ARIN' },
  // Same name in two sources: the RIPE copy differs so SOURCE:: selection shows.
  { name: 'AS-DUAL', members: ['AS174'], source: 'ARIN' },
  { name: 'AS-DUAL', members: ['AS209', 'AS-DEEP'], source: 'RIPE' },
  { name: 'AS-EMPTY', members: [], source: 'ARIN' },
];
