// The application frame: login gate, top bar (global search, user menu, theme), navigation, routes.
import { PasswordChangeBanner } from '../components/PasswordChange';
import { Component, Suspense, lazy, useEffect, useRef, useState, type ReactNode } from 'react';
import {
  ActionIcon,
  AppShell,
  Box,
  Button,
  Group,
  Kbd,
  Menu,
  NavLink,
  Paper,
  PasswordInput,
  ScrollArea,
  Stack,
  Text,
  TextInput,
  Title,
  Tooltip,
  useMantineColorScheme,
  useComputedColorScheme,
} from '@mantine/core';
import { useDebouncedValue, useHotkeys } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError, listResource, setCsrfToken, setUnauthorizedHandler, unwrap } from '../api/client';
import { Link, match, navigate, useLocation } from './router';
import { fetchMe, useMe, roleAtLeast } from './session';
import { SessionsListPage } from '../pages/SessionsList';
import { ResourceFormPage, resourceRoute } from '../pages/ResourcePages';

// Pages other than the home list load on first use: a smaller first bundle renders sessions sooner.
const SessionWizardPage = lazy(() => import('../pages/SessionWizard').then((m) => ({ default: m.SessionWizardPage })));
const SessionPage = lazy(() => import('../pages/SessionPage').then((m) => ({ default: m.SessionPage })));
const system = () => import('../pages/SystemPages');
const JobsPage = lazy(() => system().then((m) => ({ default: m.JobsPage })));
const JobPage = lazy(() => system().then((m) => ({ default: m.JobPage })));
const ChangesPage = lazy(() => system().then((m) => ({ default: m.ChangesPage })));
const UsersPage = lazy(() => system().then((m) => ({ default: m.UsersPage })));
const TokensPage = lazy(() => system().then((m) => ({ default: m.TokensPage })));
const CandidatesPage = lazy(() => system().then((m) => ({ default: m.CandidatesPage })));
const templates = () => import('../pages/TemplatePages');
const TemplatesListPage = lazy(() => templates().then((m) => ({ default: m.TemplatesListPage })));
const TemplateEditorPage = lazy(() => templates().then((m) => ({ default: m.TemplateEditorPage })));
const RenderPage = lazy(() => templates().then((m) => ({ default: m.RenderPage })));
const irr = () => import('../pages/IrrPages');
const IrrLookupPage = lazy(() => irr().then((m) => ({ default: m.IrrLookupPage })));
const HeldVersionsPage = lazy(() => irr().then((m) => ({ default: m.HeldVersionsPage })));
const PeeringDbPage = lazy(() => import('../pages/PeeringDbPages').then((m) => ({ default: m.PeeringDbPage })));
const RouterPage = lazy(() => import('../pages/RouterPage'));
const deploy = () => import('../pages/DeployPages');
const DeploymentsPage = lazy(() => deploy().then((m) => ({ default: m.DeploymentsPage })));
const DeploymentPage = lazy(() => deploy().then((m) => ({ default: m.DeploymentPage })));
const rollouts = () => import('../pages/deploy/RolloutPages');
const RolloutsPage = lazy(() => rollouts().then((m) => ({ default: m.RolloutsPage })));
const RolloutPage = lazy(() => rollouts().then((m) => ({ default: m.RolloutPage })));
const ConfigManagerPage = lazy(() => import('../pages/deploy/ConfigManagerPage'));
// The mail pages are one chunk; its route table is read once the chunk has loaded.
const EmailRoutes = lazy(() =>
  import('../pages/EmailPages').then((m) => ({
    default: ({ path }: { path: string }) => m.emailRoute(path) ?? <NotFound path={path} />,
  })),
);
const EMAIL_PATH = /^\/(email\/|email-templates(\/|$)|outbox(\/|$)|requests(\/|$)|contacts$)/;
import { CONFIGS } from '../resources/configs';
import { RelationshipBadge, StateBadge } from '../components/badges';

interface NavItem {
  label: string;
  to: string;
}
const NAV: { group: string; items: NavItem[] }[] = [
  {
    group: 'Peering',
    items: [
      { label: 'Sessions', to: '/' },
      { label: 'Peer ASNs', to: '/peer-asns' },
      { label: 'Relationships', to: '/relationships' },
      { label: 'Fabrics', to: '/fabrics' },
      { label: 'Networks', to: '/peering-networks' },
      { label: 'Connections', to: '/peering-connections' },
      { label: 'Candidates', to: '/candidates' },
      { label: 'PeeringDB', to: '/peeringdb' },
    ],
  },
  {
    group: 'Routing',
    items: [
      { label: 'Routers', to: '/routers' },
      { label: 'Peer Groups', to: '/peer-groups' },
      { label: 'BGP peers', to: '/bgp-peers' },
      { label: 'Prefix lists', to: '/prefix-lists' },
      { label: 'Held for review', to: '/irr/held' },
      { label: 'IRR lookup', to: '/irr/lookup' },
      { label: 'Policies', to: '/routing-policies' },
      { label: 'Communities', to: '/communities' },
      { label: 'BFD profiles', to: '/bfd-profiles' },
      { label: 'Platforms', to: '/platforms' },
    ],
  },
  {
    group: 'Config',
    items: [
      { label: 'Templates', to: '/templates' },
      { label: 'Render', to: '/config/render' },
      { label: 'Deployments', to: '/deployments' },
      { label: 'Rollouts', to: '/rollouts' },
    ],
  },
  {
    group: 'E-mail',
    items: [
      { label: 'Requests', to: '/requests' },
      { label: 'Outbox', to: '/outbox' },
      { label: 'Compose', to: '/email/compose' },
      { label: 'Bulk mail', to: '/email/bulk' },
      { label: 'Contacts', to: '/contacts' },
      { label: 'E-mail templates', to: '/email-templates' },
    ],
  },
  {
    group: 'System',
    items: [
      { label: 'Jobs', to: '/jobs' },
      { label: 'Change log', to: '/changes' },
    ],
  },
];

/** Root component: shows the login page until a session exists. */
export function App() {
  const me = useMe();
  const qc = useQueryClient();
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setCsrfToken(null);
      qc.setQueryData(['me'], null);
    });
  }, []);
  if (me.isLoading) return null;
  if (!me.data) return <LoginPage />;
  return <Shell />;
}

function LoginPage() {
  const qc = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = unwrap(await api.POST('/api/auth/login', { body: { username, password } }));
      setCsrfToken(r.csrf_token);
      // Drop data cached for the previous user; the `me` query stays so its observers keep working.
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      qc.setQueryData(['me'], await fetchMe());
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'Wrong username or password.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box className="login-bg">
      <Paper withBorder shadow="md" p="lg" w={340} component="form" onSubmit={submit} data-testid="login-form">
        <Stack gap="sm">
          <div>
            <Title order={3}>Peerdesk</Title>
            <Text size="xs" c="dimmed">
              Peering management
            </Text>
          </div>
          {error && (
            <Text c="red" size="sm" data-testid="login-error">
              {error}
            </Text>
          )}
          <TextInput
            label="Username"
            value={username}
            onChange={(e) => setUsername(e.currentTarget.value)}
            autoFocus
            autoComplete="username"
            name="username"
            size="sm"
          />
          <PasswordInput
            label="Password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            autoComplete="current-password"
            name="password"
            size="sm"
          />
          <Button type="submit" loading={busy} size="sm" data-testid="login-submit">
            Log in
          </Button>
        </Stack>
      </Paper>
    </Box>
  );
}

function Shell() {
  const { path } = useLocation();
  const meQuery = useMe();
  const qc = useQueryClient();
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const me = meQuery.data;
  const logout = async () => {
    await api.POST('/api/auth/logout');
    setCsrfToken(null);
    qc.setQueryData(['me'], null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
    navigate('/');
  };
  if (!me) return null;
  const isActive = (to: string) =>
    to === '/'
      ? path === '/' || path === '/peering-sessions' || path.startsWith('/peering-sessions/')
      : path === to || path.startsWith(`${to}/`);
  return (
    <AppShell header={{ height: 44 }} navbar={{ width: 168, breakpoint: 0 }} padding="sm">
      <AppShell.Header className="topbar">
        <Group h="100%" px="sm" justify="space-between" wrap="nowrap">
          <Group gap="md" wrap="nowrap">
            <Link to="/" className="brand">
              ◉ Peerdesk
            </Link>
            <GlobalSearch />
          </Group>
          <Group gap={6} wrap="nowrap">
            <Tooltip label={`Switch to ${scheme === 'dark' ? 'light' : 'dark'} theme`}>
              <ActionIcon
                variant="subtle"
                color="gray"
                onClick={() => setColorScheme(scheme === 'dark' ? 'light' : 'dark')}
                aria-label="Toggle theme"
                data-testid="theme-toggle"
              >
                {scheme === 'dark' ? '☀' : '☾'}
              </ActionIcon>
            </Tooltip>
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="subtle" color="gray" data-testid="user-menu">
                  {me.username}{' '}
                  <span className="muted" style={{ marginLeft: 4 }}>
                    ({me.role})
                  </span>{' '}
                  ▾
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => navigate('/tokens')}>API tokens</Menu.Item>
                {roleAtLeast(me.role, 'admin') && <Menu.Item onClick={() => navigate('/users')}>Users</Menu.Item>}
                <Menu.Item component="a" href="/api/docs" target="_blank">
                  API docs
                </Menu.Item>
                <Menu.Divider />
                <Menu.Item color="red" onClick={logout} data-testid="logout">
                  Log out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar className="sidenav">
        <ScrollArea>
          {NAV.map((g) => (
            <div key={g.group} className="nav-group">
              <div className="nav-group-title">{g.group}</div>
              {g.items.map((i) => (
                <NavLink
                  key={i.to}
                  label={i.label}
                  href={i.to}
                  active={isActive(i.to)}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(i.to);
                  }}
                  className="nav-item"
                />
              ))}
            </div>
          ))}
          {roleAtLeast(me.role, 'admin') && (
            <div className="nav-group">
              <div className="nav-group-title">Admin</div>
              <NavLink
                label="Users"
                href="/users"
                active={isActive('/users')}
                onClick={(e) => (e.preventDefault(), navigate('/users'))}
                className="nav-item"
              />
            </div>
          )}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main>
        {me.must_change_password && <PasswordChangeBanner />}
        <ErrorBoundary key={path}>
          <Suspense fallback={<Text size="sm">Loading…</Text>}>
            <Routes path={path} />
          </Suspense>
        </ErrorBoundary>
      </AppShell.Main>
    </AppShell>
  );
}

/** Keeps a failing page from blanking the whole app; navigating away resets it. */
class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  render() {
    if (this.state.error) {
      return (
        <Stack>
          <Title order={3}>Something went wrong on this page</Title>
          <Text size="sm" c="red">
            {this.state.error.message}
          </Text>
          <Link to="/">Back to sessions</Link>
        </Stack>
      );
    }
    return this.props.children;
  }
}

function Routes({ path }: { path: string }): ReactNode {
  let m: Record<string, string> | null;
  if (path === '/' || path === '/peering-sessions') return <SessionsListPage />;
  if (path === '/peering-sessions/new') return <SessionWizardPage />;
  // The plain form: wrap an existing BGP peer in a session (the first seed's step 4).
  if (path === '/peering-sessions/wrap')
    return <ResourceFormPage key="s-wrap" cfg={CONFIGS['peering-sessions']!} id={null} />;
  if ((m = match('/peering-sessions/:id/config-manager', path)) && /^\d+$/.test(m.id ?? ''))
    return <ConfigManagerPage key={`cm-${m.id}`} sessionId={Number(m.id)} />;
  if ((m = match('/peering-sessions/:id/edit', path)))
    return <ResourceFormPage key={`s-${m.id}`} cfg={CONFIGS['peering-sessions']!} id={Number(m.id)} />;
  if ((m = match('/peering-sessions/:id', path))) return <SessionPage key={m.id} id={Number(m.id)} />;
  if (path === '/jobs') return <JobsPage />;
  if ((m = match('/jobs/:id', path))) return <JobPage key={m.id} id={Number(m.id)} />;
  if (path === '/changes') return <ChangesPage />;
  if (path === '/users') return <UsersPage />;
  if (path === '/tokens') return <TokensPage />;
  if (path === '/candidates') return <CandidatesPage />;
  if (path === '/templates') return <TemplatesListPage />;
  if (path === '/templates/new') return <TemplateEditorPage key="new" id={null} />;
  if ((m = match('/templates/:id', path))) return <TemplateEditorPage key={m.id} id={Number(m.id)} />;
  if (path === '/config/render') return <RenderPage key="render" />;
  if (path === '/irr/lookup' || path === '/irr') return <IrrLookupPage />;
  if (path === '/irr/held') return <HeldVersionsPage />;
  if (path === '/peeringdb') return <PeeringDbPage />;
  if (path === '/deployments') return <DeploymentsPage />;
  if ((m = match('/deployments/:id', path)) && /^\d+$/.test(m.id ?? ''))
    return <DeploymentPage key={m.id} id={Number(m.id)} />;
  if (path === '/rollouts') return <RolloutsPage />;
  if ((m = match('/rollouts/:id', path)) && /^\d+$/.test(m.id ?? ''))
    return <RolloutPage key={m.id} id={Number(m.id)} />;
  if (EMAIL_PATH.test(path)) return <EmailRoutes path={path} />;
  if ((m = match('/routers/:id', path)) && /^\d+$/.test(m.id ?? '')) {
    const id = m.id!;
    return (
      <Suspense fallback={null}>
        <RouterPage key={id} id={Number(id)} />
      </Suspense>
    );
  }
  const generic = resourceRoute(path);
  if (generic) return generic;
  return <NotFound path={path} />;
}

function NotFound({ path }: { path: string }) {
  return (
    <Stack>
      <Title order={3}>Not found</Title>
      <Text size="sm">
        No page at <code>{path}</code>. <Link to="/">Back to sessions</Link>
      </Text>
    </Stack>
  );
}

interface Hit {
  kind: string;
  label: ReactNode;
  to: string;
  key: string;
}

/** Global search over ASNs, names, IPs and service references (sessions, peer ASNs, routers, fabrics). */
function GlobalSearch() {
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [dq] = useDebouncedValue(q.trim(), 200);
  const input = useRef<HTMLInputElement>(null);
  useHotkeys([
    ['/', () => input.current?.focus()],
    ['mod+K', () => input.current?.focus()],
  ]);
  const res = useQuery({
    queryKey: ['global-search', dq],
    enabled: dq.length > 0,
    queryFn: async ({ signal }) => {
      const asnOnly = dq.replace(/^as/i, '');
      const [sessions, asns, routers, fabrics] = await Promise.all([
        listResource('peering-sessions', { q: asnOnly, limit: 8 }, signal),
        listResource('peer-asns', { q: asnOnly, limit: 5 }, signal),
        listResource('routers', { q: dq, limit: 3 }, signal),
        listResource('fabrics', { q: dq, limit: 3 }, signal),
      ]);
      const hits: Hit[] = [
        ...asns.results.map((a) => ({
          kind: 'Peer ASN',
          key: `a${a.id}`,
          to: `/peer-asns/${a.id}`,
          label: (
            <>
              AS{a.asn} {a.name}
            </>
          ),
        })),
        ...sessions.results.map((s) => ({
          kind: 'Session',
          key: `s${s.id}`,
          to: `/peering-sessions/${s.id}`,
          label: (
            <>
              <span className="mono">{s.peer_ip}</span> {s.peer_asn.name} AS{s.peer_asn.asn}{' '}
              <span className="muted">on {s.router.name}</span>{' '}
              {s.service_reference ? <span className="muted">· {s.service_reference}</span> : null}{' '}
              <StateBadge state={s.state} /> <RelationshipBadge rel={s.relationship} />
            </>
          ),
        })),
        ...routers.results.map((r) => ({
          kind: 'Router',
          key: `r${r.id}`,
          to: `/routers/${r.id}`,
          label: r.name,
        })),
        ...fabrics.results.map((f) => ({
          kind: 'Fabric',
          key: `f${f.id}`,
          to: `/fabrics/${f.id}`,
          label: f.name,
        })),
      ];
      return { hits, more: sessions.count > 8 ? sessions.count : 0 };
    },
  });
  const hits = res.data?.hits ?? [];
  const go = (h: Hit | undefined) => {
    if (!h) {
      if (dq) navigate(`/?q=${encodeURIComponent(dq)}`);
    } else navigate(h.to);
    setOpen(false);
    setQ('');
    input.current?.blur();
  };
  return (
    <div className="global-search">
      <TextInput
        ref={input}
        placeholder="Search ASN, name, IP, service ref…"
        value={q}
        onChange={(e) => (setQ(e.currentTarget.value), setOpen(true), setActive(0))}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            setActive((a) => Math.min(hits.length - 1, a + 1));
            e.preventDefault();
          } else if (e.key === 'ArrowUp') {
            setActive((a) => Math.max(0, a - 1));
            e.preventDefault();
          } else if (e.key === 'Enter') go(hits[active]);
          else if (e.key === 'Escape') {
            setOpen(false);
            input.current?.blur();
          }
        }}
        w={360}
        size="xs"
        rightSection={<Kbd size="xs">/</Kbd>}
        data-testid="global-search"
      />
      {open && dq && (
        <Paper shadow="md" withBorder className="search-results" data-testid="search-results">
          {res.isFetching && !hits.length && <div className="sr-empty">Searching…</div>}
          {!res.isFetching && !hits.length && <div className="sr-empty">No matches.</div>}
          {hits.map((h, i) => (
            <div
              key={h.key}
              className={`sr-item ${i === active ? 'active' : ''}`}
              onMouseDown={() => go(h)}
              onMouseEnter={() => setActive(i)}
            >
              <span className="sr-kind">{h.kind}</span>
              <span>{h.label}</span>
            </div>
          ))}
          {res.data?.more ? (
            <div className="sr-item" onMouseDown={() => go(undefined)}>
              <span className="sr-kind" />
              All {res.data.more} matching sessions →
            </div>
          ) : null}
        </Paper>
      )}
    </div>
  );
}
