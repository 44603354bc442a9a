// What Peerdesk does with the PeeringDB mirror, split by concept; this module keeps the one import path
// other code uses:
// - peeringdb.lookups.ts: the wizard's lookups (networks, exchanges, a network's addresses on a fabric);
// - peeringdb.candidates.ts: peering candidates (score, hide, bulk session creation, reverse lookup);
// - peeringdb.fabric.ts: fabrics from exchanges and their re-sync;
// - peeringdb.peer-asn-sync.ts: peer ASN divergence and sync;
// - peeringdb.lans.ts: what they share (a fabric's LANs and the members on them);
// - peeringdb.schema.ts: the API's response schemas, and the types above return.
export type { Actor } from '../changes/changes.service.ts';
export { fabricPeeringDbMembers } from './peeringdb.lans.ts';
export {
  getExchange,
  networkAddresses,
  networkByAsn,
  searchExchanges,
  searchNetworks,
  type NetworkSummary,
} from './peeringdb.lookups.ts';
export {
  candidateScore,
  createSessionsFromCandidates,
  hideCandidates,
  listCandidates,
  listHidden,
  peeringOpportunities,
  unhideCandidates,
  type Candidate,
  type CandidateAddress,
  type CreateSessionsInput,
  type CreateSessionsResult,
} from './peeringdb.candidates.ts';
export { createFabricFromExchange, resyncFabric } from './peeringdb.fabric.ts';
export { peerAsnDivergence, syncAllPeerAsns, syncPeerAsn, type FieldDivergence } from './peeringdb.peer-asn-sync.ts';
