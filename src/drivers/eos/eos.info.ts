// Static facts of the Arista EOS driver (read by the registry without loading the driver).
import type { DriverInfo } from '../registry.ts';

export const eosInfo: DriverInfo = {
  name: 'eos',
  label: 'Arista EOS (eAPI over HTTPS)',
  capabilities: ['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'],
  hostnameForms: ['host or host:port (HTTPS, port 443 by default)', 'https://host[:port]'],
};
