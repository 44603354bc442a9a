// State-history and prefix-count charts of one session (loaded lazily: recharts is large).
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Text } from '@mantine/core';
import type { Row } from '../api/client';
import { stateLabel } from '../components/badges';

const LEVEL: Record<string, number> = { established: 3, openconfirm: 2, opensent: 2, connect: 1, active: 1, idle: 0, 'admin-down': 0, unknown: 0 };

/** Two charts: BGP state over time (as levels) and prefixes received/accepted/advertised. */
export default function SessionCharts({ events }: { events: Row[] }) {
  if (!events.length) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-history">
        No state history yet: it is recorded each time the router is polled.
      </Text>
    );
  }
  const data = events.map((e) => ({
    time: new Date(e.time).toLocaleString(undefined, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }),
    level: LEVEL[e.state] ?? 0,
    state: stateLabel(e.state),
    received: e.prefixes_received,
    accepted: e.prefixes_accepted,
    advertised: e.prefixes_advertised,
  }));
  return (
    <div className="charts">
      <div>
        <Text size="xs" fw={600} mb={4}>
          State history
        </Text>
        <LineChart
          h={180}
          data={data}
          dataKey="time"
          curveType="stepAfter"
          withDots={false}
          series={[{ name: 'level', label: 'State', color: 'green.6' }]}
          yAxisProps={{ domain: [0, 3], ticks: [0, 1, 2, 3], tickFormatter: (v: number) => ['Idle/Down', 'Active', 'Open', 'Established'][v] ?? '' , width: 80 }}
          tooltipProps={{ content: ({ payload }) => (payload?.[0] ? <div className="chart-tip">{(payload[0].payload as Row).time}: {(payload[0].payload as Row).state}</div> : null) }}
        />
      </div>
      <div>
        <Text size="xs" fw={600} mb={4}>
          Prefixes
        </Text>
        <LineChart
          h={180}
          data={data}
          dataKey="time"
          withDots={false}
          withLegend
          series={[
            { name: 'received', color: 'blue.6' },
            { name: 'accepted', color: 'teal.6' },
            { name: 'advertised', color: 'grape.6' },
          ]}
        />
      </div>
    </div>
  );
}
