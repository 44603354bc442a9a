// Static facts of the GoBGP driver (read by the registry without loading the driver).
import type { DriverInfo } from '../registry.ts';

export const gobgpInfo: DriverInfo = {
  name: 'gobgp',
  label: 'GoBGP (gRPC API)',
  capabilities: ['list_neighbors', 'admin_state'],
  hostnameForms: ['grpc://host:port (gobgpd --api-hosts; port 50051 by default)'],
};
