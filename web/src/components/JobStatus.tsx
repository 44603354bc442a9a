// A queued job's live status (polled until it ends), and copying text to the clipboard.
import { Badge, Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap, type Schemas } from '../api/client';
import { Link } from '../app/router';

const JOB_COLOURS: Record<string, string> = {
  queued: 'gray',
  running: 'blue',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'orange',
};
const ENDED = ['succeeded', 'failed', 'cancelled'];

/** A queued job's live status with a link to its page (polls until it finishes, then hands the job to `onDone`). */
export function JobStatus({ id, onDone }: { id: number; onDone?: (job: Schemas['Job']) => void }) {
  const q = useQuery({
    queryKey: ['job', id],
    queryFn: async () => {
      const job = unwrap(await api.GET('/api/jobs/{id}/', { params: { path: { id } } }));
      if (ENDED.includes(job.status)) onDone?.(job);
      return job;
    },
    refetchInterval: (qq) => (ENDED.includes(qq.state.data?.status ?? '') ? false : 1000),
  });
  const j = q.data;
  return (
    <Group gap={6} data-testid="job-status" data-status={j?.status ?? 'loading'}>
      <Link to={`/jobs/${id}`}>Job #{id}</Link>
      {j && (
        <Badge
          size="sm"
          variant="light"
          color={JOB_COLOURS[j.status] ?? 'gray'}
          styles={{ root: { textTransform: 'none' } }}
        >
          {j.status}
          {j.status === 'running' && j.progress != null ? ` ${Math.round(j.progress * 100)}%` : ''}
        </Badge>
      )}
      {j?.progress_message && (
        <Text size="xs" c="dimmed">
          {j.progress_message}
        </Text>
      )}
      {j?.error && (
        <Text size="xs" c="red">
          {j.error}
        </Text>
      )}
    </Group>
  );
}

/** Copies text to the clipboard, falling back to a hidden textarea where the Clipboard API is missing. */
export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not a secure context (plain http on a LAN address) or no permission: use the old way.
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  document.execCommand('copy');
  ta.remove();
}
