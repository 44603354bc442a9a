// State-history and prefix-count charts of one session, with its flap count, time in each state, down
// reason and max-prefix usage (loaded lazily: recharts is large).
import { LineChart } from '@mantine/charts';
import '@mantine/charts/styles.css';
import { Alert, Group, Progress, SegmentedControl, Stack, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap, type paths } from '../api/client';
import { StateBadge } from '../components/badges';
import { STATE_CHART, isBgpState, stateLabel } from '../lib/bgp-state';

/** One recorded state change of a session, with the prefix counts of that poll. */
export type StateEvent =
  paths['/api/peering-sessions/{id}/state-history/']['get']['responses'][200]['content']['application/json'][number];

const level = (state: string) => (isBgpState(state) ? STATE_CHART[state].level : 0);
const colour = (state: string) => (isBgpState(state) ? STATE_CHART[state].colour : 'gray');

/** Flaps and time in state computed from the events alone (when no session id is given). */
export function summariseEvents(
  events: StateEvent[],
  nowMs = Date.now(),
): { flaps: number; time: { state: string; seconds: number; percent: number }[]; downReason: string | null } {
  const seconds = new Map<string, number>();
  let flaps = 0;
  for (const [i, e] of events.entries()) {
    if (e.previous_state === 'established' && e.state !== 'established') flaps++;
    const end = i + 1 < events.length ? Date.parse(events[i + 1]!.time) : nowMs;
    const d = Math.max(0, (end - Date.parse(e.time)) / 1000);
    seconds.set(e.state, (seconds.get(e.state) ?? 0) + d);
  }
  const total = [...seconds.values()].reduce((a, b) => a + b, 0) || 1;
  const last = events.at(-1);
  return {
    flaps,
    time: [...seconds.entries()]
      .map(([state, s]) => ({ state, seconds: Math.round(s), percent: Math.round((s / total) * 1000) / 10 }))
      .sort((a, b) => b.seconds - a.seconds),
    downReason: last && last.state !== 'established' ? (last.reason ?? null) : null,
  };
}

/** "3 h 12 min", "45 s". */
function duration(s: number): string {
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d} d` : '', h ? `${h} h` : '', m && !d ? `${m} min` : ''].filter(Boolean).join(' ') || '0 min';
}

/** The flap count, time in state (a stacked bar), down reason and max-prefix usage of a session. */
export function StateSummary({ sessionId, events }: { sessionId?: number; events: StateEvent[] }) {
  const [hours, setHours] = useState('24');
  const q = useQuery({
    queryKey: ['state-summary', sessionId, hours],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/peering-sessions/{id}/state-summary/', {
          params: { path: { id: sessionId! }, query: { hours: Number(hours) } },
        }),
      ),
    enabled: sessionId !== undefined,
    refetchInterval: 30_000,
  });
  const local = summariseEvents(events);
  const s = q.data;
  const time = s ? s.time_in_state : local.time;
  const flaps = s ? s.flaps : local.flaps;
  const downReason = s ? s.down_reason : local.downReason;
  return (
    <Stack gap={6} data-testid="state-summary">
      <Group gap="lg" align="flex-end">
        <div>
          <Text size="xs" c="dimmed">
            Flaps {s ? `(last ${hours} h / ever)` : '(recorded history)'}
          </Text>
          <Text size="sm" fw={600} data-testid="flap-count">
            {flaps}
            {s ? <span className="muted"> / {s.flaps_total}</span> : null}
          </Text>
        </div>
        {sessionId !== undefined && (
          <SegmentedControl
            size="xs"
            value={hours}
            onChange={setHours}
            data={[
              { value: '24', label: '24 h' },
              { value: '168', label: '7 d' },
              { value: '720', label: '30 d' },
            ]}
          />
        )}
        {s?.max_prefix && (
          <div>
            <Text size="xs" c="dimmed">
              Max-prefix
            </Text>
            <Text
              size="sm"
              c={s.max_prefix.warning ? 'orange' : undefined}
              fw={s.max_prefix.warning ? 600 : undefined}
              data-testid="max-prefix-usage"
            >
              {s.max_prefix.received} / {s.max_prefix.limit} ({s.max_prefix.percent}%)
            </Text>
          </div>
        )}
      </Group>
      {s?.max_prefix?.warning && (
        <Alert color="orange" variant="light" p="xs" data-testid="max-prefix-warning">
          {s.max_prefix.received} prefixes is {s.max_prefix.percent}% of the max-prefix limit {s.max_prefix.limit}: the
          session goes down when the peer sends more.
        </Alert>
      )}
      {downReason && (
        <Alert color="red" variant="light" p="xs" title="Down reason" data-testid="down-reason">
          {downReason}
        </Alert>
      )}
      {time.length > 0 && (
        <div>
          <Text size="xs" c="dimmed" mb={2}>
            Time in state
          </Text>
          <Progress.Root size={14} data-testid="time-in-state">
            {time.map((t) => (
              <Tooltip key={t.state} label={`${stateLabel(t.state)}: ${duration(t.seconds)} (${t.percent}%)`}>
                <Progress.Section value={Math.max(t.percent, 0.5)} color={colour(t.state)} />
              </Tooltip>
            ))}
          </Progress.Root>
          <Group gap={8} mt={4}>
            {time.map((t) => (
              <Group key={t.state} gap={4}>
                <StateBadge state={t.state} />
                <Text size="xs">
                  {duration(t.seconds)} ({t.percent}%)
                </Text>
              </Group>
            ))}
          </Group>
        </div>
      )}
    </Stack>
  );
}

/** The summary and two charts: BGP state over time (as levels) and prefixes received/accepted/advertised. */
export default function SessionCharts({ events, sessionId }: { events: StateEvent[]; sessionId?: number }) {
  if (!events.length && sessionId === undefined) {
    return (
      <Text size="sm" c="dimmed" data-testid="no-history">
        No state history yet: it is recorded each time the router is polled.
      </Text>
    );
  }
  const data = events.map((e) => ({
    time: new Date(e.time).toLocaleString(undefined, {
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    }),
    level: level(e.state),
    state: stateLabel(e.state),
    reason: e.reason ?? null,
    received: e.prefixes_received,
    accepted: e.prefixes_accepted,
    advertised: e.prefixes_advertised,
  }));
  return (
    <Stack gap="sm">
      <StateSummary sessionId={sessionId} events={events} />
      {!events.length ? (
        <Text size="sm" c="dimmed" data-testid="no-history">
          No state history yet: it is recorded each time the router is polled.
        </Text>
      ) : (
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
              yAxisProps={{
                domain: [0, 3],
                ticks: [0, 1, 2, 3],
                tickFormatter: (v: number) => ['Idle/Down', 'Active', 'Open', 'Established'][v] ?? '',
                width: 80,
              }}
              tooltipProps={{
                content: ({ payload }) => {
                  const p = payload?.[0]?.payload as (typeof data)[number] | undefined;
                  return p ? (
                    <div className="chart-tip">
                      {p.time}: {p.state}
                      {p.reason ? ` — ${p.reason}` : ''}
                    </div>
                  ) : null;
                },
              }}
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
      )}
    </Stack>
  );
}
