// BFD profiles: timers referenced by peers and groups.
import type { Schemas } from '../api/client';
import { text, nameLink, col, idCol, descCol, descField } from './common';
import { defineConfig } from './types';

export const bfdProfiles = defineConfig<Schemas['BfdProfile']>({
  path: 'bfd-profiles',
  title: 'BFD profiles',
  singular: 'BFD profile',
  label: (r) => r.name,
  columns: [
    idCol,
    col('name', 'Name', nameLink('bfd-profiles'), { sort: 'name' }),
    col('min_rx_ms', 'Min RX (ms)', text('min_rx_ms'), { align: 'right' }),
    col('min_tx_ms', 'Min TX (ms)', text('min_tx_ms'), { align: 'right' }),
    col('multiplier', 'Multiplier', text('multiplier'), { align: 'right' }),
    descCol,
  ],
  filters: [],
  fields: [
    { name: 'name', label: 'Name', kind: 'text', required: true },
    { name: 'min_rx_ms', label: 'Min RX (ms)', kind: 'int', min: 1, emptyAs: 'omit' },
    { name: 'min_tx_ms', label: 'Min TX (ms)', kind: 'int', min: 1, emptyAs: 'omit' },
    { name: 'multiplier', label: 'Multiplier', kind: 'int', min: 1, max: 255, emptyAs: 'omit' },
    descField,
  ],
});
