// Static facts of the GoBGP driver (read by the registry without loading the driver).
import type { DriverInfo } from '../registry.ts';

export const gobgpInfo: DriverInfo = {
  name: 'gobgp',
  label: 'GoBGP (gRPC API; configuration file + SIGHUP)',
  capabilities: ['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'],
  hostnameForms: [
    "grpc://host:port (gobgpd --api-hosts; port 50051 by default); deploys write gobgpd's -f file (credentials config_file, default /etc/gobgpd.conf) locally or over SSH (credentials username + key or password)",
  ],
};
