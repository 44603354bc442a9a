// Static facts of the FRR driver (read by the registry without loading the driver).
import type { DriverInfo } from '../registry.ts';

export const frrInfo: DriverInfo = {
  name: 'frr',
  label: 'FRRouting (vtysh locally or over SSH)',
  capabilities: ['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'],
  hostnameForms: [
    'vtysh:/run/frr (local vty socket directory)',
    'ssh://user@host[:port] (runs vtysh on the router)',
    'ssh://user@host[:port]/run/frr (vtysh --vty_socket DIR on the router)',
  ],
};
