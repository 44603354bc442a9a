// Static facts of the Cisco IOS-XR driver (read by the registry without loading the driver and ssh2).
import type { DriverInfo } from '../registry.ts';

export const iosxrInfo: DriverInfo = {
  name: 'iosxr',
  label: 'Cisco IOS-XR (NETCONF over SSH)',
  capabilities: ['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'],
  hostnameForms: [
    'host or host:port (NETCONF, port 830 by default)',
    'netconf://host[:port]',
    'ssh://user@host[:port]',
  ],
};
