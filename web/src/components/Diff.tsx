// Diff views: a unified text diff (template versions) and added/removed prefixes (prefix-list versions).
import { Text } from '@mantine/core';

/** Renders a unified diff with added lines green and removed lines red. */
export function UnifiedDiff({ text, testid }: { text: string | null | undefined; testid?: string }) {
  if (!text)
    return (
      <Text size="xs" c="dimmed">
        No changes (first version).
      </Text>
    );
  const cls = (l: string) =>
    l.startsWith('+++') || l.startsWith('---') || l.startsWith('===') || l.startsWith('Index:')
      ? 'd-meta'
      : l.startsWith('@@')
        ? 'd-hunk'
        : l.startsWith('+')
          ? 'd-add'
          : l.startsWith('-')
            ? 'd-del'
            : '';
  return (
    <pre className="diff" data-testid={testid}>
      {text
        .replace(/\n$/, '')
        .split('\n')
        .map((l, i) => (
          <span key={i} className={`d-line ${cls(l)}`}>
            {l || ' '}
          </span>
        ))}
    </pre>
  );
}

/** Added prefixes in green, removed in red (struck through). */
export function PrefixDiff({ added, removed, testid }: { added: string[]; removed: string[]; testid?: string }) {
  if (!added.length && !removed.length)
    return (
      <Text size="xs" c="dimmed">
        No prefix changes.
      </Text>
    );
  return (
    <div className="pfx-chips" data-testid={testid}>
      {added.map((p) => (
        <span key={`a${p}`} className="pfx-chip add" title="added">
          +{p}
        </span>
      ))}
      {removed.map((p) => (
        <span key={`r${p}`} className="pfx-chip del" title="removed">
          −{p}
        </span>
      ))}
    </div>
  );
}
