// Every generic resource screen's config, one file per resource (<resource>.config.tsx).
import type { ResourceConfig } from './types';
import { relationships } from './relationships.config';
import { peerAsns } from './peer-asns.config';
import { fabrics } from './fabrics.config';
import { networks } from './peering-networks.config';
import { connections } from './peering-connections.config';
import { sessionsCfg } from './peering-sessions.config';
import { platforms } from './platforms.config';
import { routers } from './routers.config';
import { peerGroups } from './peer-groups.config';
import { bgpPeers } from './bgp-peers.config';
import { prefixLists } from './prefix-lists.config';
import { policies } from './routing-policies.config';
import { communities } from './communities.config';
import { bfdProfiles } from './bfd-profiles.config';

export { ObjLink, REF_TARGET } from './common';
export { sessionColumns } from './peering-sessions.config';
export { entriesToText, textToEntries } from './prefix-lists.config';
export type { FieldSpec, Related, ResourceConfig } from './types';

/** Every generic resource screen, by URL segment. */
export const CONFIGS: Record<string, ResourceConfig> = Object.fromEntries(
  [
    relationships,
    peerAsns,
    fabrics,
    networks,
    connections,
    sessionsCfg,
    platforms,
    routers,
    peerGroups,
    bgpPeers,
    prefixLists,
    policies,
    communities,
    bfdProfiles,
  ].map((c) => [c.path, c]),
);
