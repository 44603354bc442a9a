// Static facts of the BIRD 2 driver (read by the registry without loading the driver).
import type { DriverInfo } from '../registry.ts';

export const birdInfo: DriverInfo = {
  name: 'bird2',
  label: 'BIRD 2 (control socket or birdc over SSH)',
  capabilities: ['list_neighbors', 'running_config', 'admin_state', 'config', 'commit_confirm'],
  hostnameForms: [
    'unix:/run/bird/bird.ctl (local control socket)',
    'ssh://user@host[:port] (runs birdc on the router)',
    'ssh://user@host[:port]/run/bird/bird.ctl (birdc -s SOCKET on the router)',
  ],
};
