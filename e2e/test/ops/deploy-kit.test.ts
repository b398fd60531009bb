import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, loadConfig } from '@concert/config';
import { bookingTokensOptions, gatewayTokensOptions } from '@concert/tokens';
import { setupTestContext, startStack } from '@concert/testing';
import { hasNginx, startComposeProxy } from './proxy.js';
import { writeStaticSite } from './static-site.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SETTINGS = new Set(Object.keys(configSchema.properties));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

type K8s = {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: any;
};
type Container = {
  name: string;
  env?: { name: string; value?: string; valueFrom?: any }[];
  envFrom?: any[];
  [k: string]: any;
};
type Volume = {
  name: string;
  secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] };
};
type PodSpec = {
  securityContext?: { runAsUser?: number; fsGroup?: number };
  containers: Container[];
  volumes?: Volume[];
};

/**
 * Renders the production overlay from a copy, with secrets made the documented way: with its
 * optional components (PgBouncer, monitoring) on, or as shipped (off).
 */
function renderProduction(opts: { components: boolean }): K8s[] {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
  cpSync(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
  const overlay = join(dir, 'deploy/k8s/overlays/production');
  if (opts.components) {
    const kustomization = readFileSync(join(overlay, 'kustomization.yaml'), 'utf8')
      .replace('# components:', 'components:')
      .replace(/^# {3}- (\.\.\/\.\.\/components\/\w+)$/gm, '  - $1');
    writeFileSync(join(overlay, 'kustomization.yaml'), kustomization);
  }
  execFileSync(process.execPath, [join(ROOT, 'deploy/compose/make-secrets.mjs'), join(overlay, 'secrets')]);
  const pooled = opts.components ? 'pgbouncer:6432' : 'db.internal:5432';
  writeFileSync(join(overlay, 'secrets/database-url'), `postgresql://concert:secret@${pooled}/concert`);
  writeFileSync(join(overlay, 'secrets/database-direct-url'), 'postgresql://concert:secret@db.internal:5432/concert');
  const rendered = execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' });
  return parseAllDocuments(rendered).map((doc) => doc.toJS() as K8s);
}

const podSpecOf = (resource: K8s): PodSpec | undefined =>
  resource.kind === 'Deployment' || resource.kind === 'StatefulSet' || resource.kind === 'Job'
    ? resource.spec.template.spec
    : undefined;

/** A resource by kind and name (kustomize's hash suffix of generated ones ignored). */
const findIn = (resources: K8s[], kind: string, name: string) =>
  resources.find((r) => r.kind === kind && r.metadata.name.replace(/-[a-z0-9]{10}$/, '') === name);

/**
 * Whether the pod's user can read the files of a secret volume: the kubelet writes them owned by
 * root, in the group `fsGroup` when the pod sets one, with the volume's mode (0644 by default).
 */
function podCanRead(pod: PodSpec, container: Container, volume: Volume) {
  const mode = volume.secret?.defaultMode ?? 0o644;
  const user = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
  if (user === 0 || mode & 0o004) return true;
  return pod.securityContext?.fsGroup !== undefined && Boolean(mode & 0o040);
}

/**
 * What the pod's first container starts with: the ConfigMaps it loads, its own env with Secret
 * references resolved, and its secret volumes written under `root` (each `*_FILE` setting that
 * names a path under /run/secrets pointed there: a file the pod does not mount stays missing).
 */
function podEnvironment(resources: K8s[], deployment: K8s, root: string): Record<string, string> {
  const pod = podSpecOf(deployment)!;
  const container = pod.containers[0]!;
  const secretData = (name: string, key: string) => {
    const secret = resources.find((r) => r.kind === 'Secret' && r.metadata.name === name);
    const encoded = secret?.data?.[key];
    return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
  };
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const configMap = resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name === source.configMapRef?.name);
    Object.assign(env, configMap?.data);
  }
  for (const { name, value, valueFrom } of container.env ?? []) {
    const ref = valueFrom?.secretKeyRef;
    const resolved = ref ? secretData(ref.name, ref.key) : value;
    if (resolved !== undefined) env[name] = resolved;
  }
  for (const mount of container.volumeMounts ?? []) {
    const volume = pod.volumes?.find((v) => v.name === mount.name);
    if (!volume?.secret) continue;
    for (const item of volume.secret.items ?? []) {
      const file = join(root, mount.mountPath, item.path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, secretData(volume.secret.secretName, item.key) ?? '');
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (name.endsWith('_FILE') && value.startsWith('/run/secrets/')) env[name] = join(root, value);
  }
  return env;
}

t.test('Kubernetes manifests', { skip: has('kubectl') ? false : 'kubectl is not installed' }, async (t) => {
  const resources = renderProduction({ components: true });
  const named = (kind: string, name: string) => findIn(resources, kind, name);
  const configMap = named('ConfigMap', 'concert-config')!;
  const deployments = resources.filter((r) => r.kind === 'Deployment');
  const apps = ['gateway', 'booking', 'worker', 'web'];

  t.test('every setting a manifest gives is one the config schema knows', async (t) => {
    const unknown = Object.keys(configMap.data).filter((name) => !SETTINGS.has(name));
    for (const resource of resources) {
      const pod = podSpecOf(resource);
      if (!pod || resource.metadata.name === 'redis' || resource.metadata.name === 'pgbouncer') continue;
      for (const container of pod.containers as Container[]) {
        for (const { name } of container.env ?? [])
          if (!SETTINGS.has(name)) unknown.push(`${resource.metadata.name}: ${name}`);
      }
    }
    t.same(unknown, [], 'no unknown setting');
    t.doesNotThrow(() => loadConfig(configMap.data), 'its values are valid settings');
    t.same(
      Object.keys(configMap.data).filter((name) => name.endsWith('_FILE')),
      [],
      'no secret path in the shared settings: each Deployment names the files it mounts',
    );
  });

  t.test('the four apps: probes on the health endpoints, ports, resources, scaling, disruption budgets', async (t) => {
    for (const app of apps) {
      const deployment = named('Deployment', app);
      t.ok(deployment, `${app} Deployment`);
      const [container] = deployment!.spec.template.spec.containers as Container[];
      const port = (configSchema.properties as any)[`${app.toUpperCase()}_PORT`].default;
      t.same(container!.ports, [{ name: 'http', containerPort: port }], `${app} listens on ${port}`);
      t.equal(
        container!.readinessProbe.httpGet.path,
        app === 'web' ? '/health/live' : '/health/ready',
        `${app} readiness`,
      );
      t.equal(container!.livenessProbe.httpGet.path, '/health/live', `${app} liveness`);
      t.ok(container!.resources.requests.cpu && container!.resources.requests.memory, `${app} requests CPU and memory`);
      t.ok(container!.resources.limits.memory, `${app} has a memory limit`);
      t.same(container!.envFrom, [{ configMapRef: { name: configMap.metadata.name } }]);
      t.equal(container!.securityContext.readOnlyRootFilesystem, true);
      const labels = deployment!.spec.template.metadata.labels;
      const pdb = named('PodDisruptionBudget', app);
      t.match(labels, pdb!.spec.selector.matchLabels, `${app} has a PodDisruptionBudget`);
      const service = named('Service', app);
      t.match(labels, service!.spec.selector, `${app} Service selects its pods`);
      t.equal(service!.spec.ports[0].targetPort, 'http');
      t.match(deployment!.spec.template.metadata.annotations, { 'prometheus.io/port': String(port) });
    }
    for (const app of ['gateway', 'booking']) {
      const hpa = named('HorizontalPodAutoscaler', app);
      t.same(hpa!.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: app }, `${app} autoscales`);
      t.ok(hpa!.spec.maxReplicas > hpa!.spec.minReplicas);
    }
  });

  t.test('each app gets the secret files it needs, can read them, and boots its configuration', async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'pods-'));
    // The image's setting (Dockerfile): the production checks apply.
    const envOf = (app: string) => ({
      NODE_ENV: 'production',
      ...podEnvironment(resources, named('Deployment', app)!, join(root, app)),
    });
    for (const resource of deployments) {
      const pod = podSpecOf(resource)!;
      const container = pod.containers[0]!;
      for (const mount of container.volumeMounts ?? []) {
        const volume = pod.volumes?.find((v) => v.name === mount.name);
        if (volume?.secret)
          t.ok(podCanRead(pod, container, volume), `${resource.metadata.name} can read ${mount.mountPath}`);
      }
    }
    const mountedKeys = (app: string) =>
      (podSpecOf(named('Deployment', app)!)!.volumes ?? [])
        .flatMap((volume) => volume.secret?.items ?? [])
        .map((item) => item.key)
        .sort();
    t.same(mountedKeys('gateway'), ['admin-key', 'token.key'], 'gateway: the signing key and the admin key');
    t.same(mountedKeys('booking'), ['admin-key', 'token.pub'], 'booking: the public key only, and the admin key');
    t.same(mountedKeys('worker'), ['admin-key'], 'worker: the admin key (jobs board)');
    t.same(mountedKeys('web'), [], 'web: no secret');

    const gateway = loadConfig(envOf('gateway'));
    t.doesNotThrow(() => gatewayTokensOptions(gateway), 'the gateway has every key it needs');
    t.ok(gateway.ADMIN_API_KEY && gateway.ADMIN_API_KEY.length >= 16, 'gateway: the admin key is read from its file');
    const booking = loadConfig(envOf('booking'));
    t.doesNotThrow(() => bookingTokensOptions(booking), 'booking has every key it needs');
    t.ok(booking.ADMIN_API_KEY && booking.ADMIN_API_KEY === gateway.ADMIN_API_KEY, 'booking: the same admin key');
    t.equal(booking.TOKEN_PRIVATE_KEY_FILE, undefined, 'booking never gets the signing key');
    const worker = loadConfig(envOf('worker'));
    t.ok(worker.JOBS_BOARD && worker.ADMIN_API_KEY === gateway.ADMIN_API_KEY, 'worker: the jobs board has its key');
    t.doesNotThrow(() => loadConfig(envOf('web')), 'web boots without any secret');
  });

  t.test('the migrate Job runs migrations on a direct connection (the migrator holds a session lock)', async (t) => {
    const job = named('Job', 'migrate')!;
    const container = job.spec.template.spec.containers[0] as Container;
    t.same(container.command, ['node', 'libs/db/dist/cli/migrate.js']);
    t.match(container.env, [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { key: 'direct-url' } } }]);
  });

  t.test('Redis keeps an append-only file, fsynced every second, on a volume', async (t) => {
    const redis = named('StatefulSet', 'redis')!;
    const args = redis.spec.template.spec.containers[0].args.join(' ');
    t.match(args, '--appendonly yes');
    t.match(args, '--appendfsync everysec');
    t.equal(redis.spec.volumeClaimTemplates[0].metadata.name, 'data');
  });

  t.test(
    'the PostgreSQL connection budget fits max_connections (100, 3 reserved), rollout surge included',
    async (t) => {
      const USABLE = 100 - 3;
      // The migrator's own connections (it runs beside the apps during a rollout), always direct.
      const MIGRATE = 2;
      /** Most pods of a Deployment at once: the autoscaler's maximum (or replicas), plus the surge. */
      const mostPods = (rendered: K8s[], name: string) => {
        const hpa = findIn(rendered, 'HorizontalPodAutoscaler', name);
        const deployment = findIn(rendered, 'Deployment', name)!;
        const surge = deployment.spec.strategy?.rollingUpdate?.maxSurge ?? 1;
        return (hpa ? hpa.spec.maxReplicas : deployment.spec.replicas) + surge;
      };
      const poolOf = (rendered: K8s[], app: string) => {
        const env = findIn(rendered, 'Deployment', app)!.spec.template.spec.containers[0].env as Container['env'];
        const size = env!.find((e) => e.name === 'DATABASE_POOL_SIZE')?.value;
        if (size) return Number(size);
        return app === 'booking' ? (configSchema.properties.DATABASE_POOL_SIZE as any).default : 4;
      };
      const appConnections = (rendered: K8s[]) =>
        ['gateway', 'booking', 'worker'].reduce((sum, app) => sum + poolOf(rendered, app) * mostPods(rendered, app), 0);

      // As shipped: every app pool straight to PostgreSQL.
      const shipped = renderProduction({ components: false });
      t.notOk(findIn(shipped, 'Deployment', 'pgbouncer'), 'shipped without PgBouncer');
      const direct = appConnections(shipped) + MIGRATE;
      t.ok(direct <= USABLE, `directly: pool x pods + migrate = ${direct} connections at most (<= ${USABLE})`);
      t.equal(poolOf(shipped, 'gateway'), 4);

      // With PgBouncer: the apps' pools are its clients; PostgreSQL sees at most max_db_connections per
      // PgBouncer pod, plus the migrator's direct connections.
      const ini = Object.fromEntries(
        [...named('ConfigMap', 'pgbouncer-config')!.data['pgbouncer.ini'].matchAll(/^(\w+) = (.*)$/gm)].map(
          ([, key, value]) => [key, value],
        ),
      );
      const perInstance = Number(ini.max_db_connections);
      t.ok(perInstance > 0, `max_db_connections = ${perInstance} per PgBouncer`);
      t.ok(
        Number(ini.default_pool_size) + Number(ini.reserve_pool_size) <= perInstance,
        'the pool and its reserve fit max_db_connections',
      );
      const pooled = mostPods(resources, 'pgbouncer') * perInstance + MIGRATE;
      t.ok(pooled <= USABLE, `through PgBouncer: pods x max_db_connections + migrate = ${pooled} (<= ${USABLE})`);
      t.ok(appConnections(resources) <= Number(ini.max_client_conn), 'every app connection is a PgBouncer client');
    },
  );

  t.test('PgBouncer (component) runs in transaction mode', async (t) => {
    const ini = named('ConfigMap', 'pgbouncer-config')!.data['pgbouncer.ini'];
    t.match(ini, /^pool_mode = transaction$/m);
    t.ok(named('Deployment', 'pgbouncer') && named('Service', 'pgbouncer'));
    t.equal(
      named('ConfigMap', 'concert-config')!.data.DATABASE_PREPARED_STATEMENTS,
      'false',
      'behind it the apps send their statements unprepared',
    );
  });

  t.test('monitoring (component): every app is scraped', async (t) => {
    const monitor = resources.find((r) => r.kind === 'ServiceMonitor')!;
    const [selector] = monitor.spec.selector.matchExpressions;
    t.same([...selector.values].sort(), [...apps].sort(), 'the ServiceMonitor selects the four apps');
    for (const app of apps) t.equal(named('Service', app)!.spec.ports[0].name, monitor.spec.endpoints[0].port);
  });

  t.test('one host: the Ingress sends every API route to its service, and /metrics to no metrics', async (t) => {
    type Route = { path: string; exact: boolean; service: string; rewrite?: string };
    const routes: Route[] = resources
      .filter((r) => r.kind === 'Ingress')
      .flatMap((ingress) =>
        ingress.spec.rules[0].http.paths.map((p: any) => ({
          path: p.path,
          exact: p.pathType === 'Exact',
          service: p.backend.service.name,
          rewrite: ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/rewrite-target'],
        })),
      );
    for (const { service } of routes) t.ok(named('Service', service), `backend ${service} exists`);
    // Kubernetes' rules: an Exact path first, then the longest Prefix (by whole path segments).
    const routeTo = (url: string) =>
      routes.find((route) => route.exact && route.path === url) ??
      routes
        .filter(
          (route) => !route.exact && (route.path === '/' || url === route.path || url.startsWith(`${route.path}/`)),
        )
        .sort((a, b) => b.path.length - a.path.length)[0];

    // The routes each API really serves (its OpenAPI document), from running processes.
    const context = await setupTestContext(t, { database: true });
    const stack = await startStack({
      env: { ...context.env, WEB_STATIC_DIR: writeStaticSite(t.testdir()) },
      instances: { worker: 0 },
      web: true,
    });
    t.teardown(() => stack.stop());
    const routesOf = async (url: string) => {
      const document = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
      return Object.keys(document.paths).filter((path) => !/^\/(health|docs|metrics)/.test(path));
    };
    const gatewayRoutes = await routesOf(stack.gateways[0]!);
    const bookingRoutes = await routesOf(stack.bookings[0]!);
    t.ok(gatewayRoutes.length >= 6 && bookingRoutes.length >= 8, 'both documents list their routes');
    /** Where a request for `url` goes: the service, and the path it asks for when rewritten. */
    const targetOf = (url: string) => {
      const route = routeTo(url.replace(/\{[^}]+\}/g, 'x'));
      return route && (route.rewrite ? `${route.service} ${route.rewrite}` : route.service);
    };
    for (const route of gatewayRoutes) t.equal(targetOf(route), 'gateway', route);
    for (const route of bookingRoutes) t.equal(targetOf(route), 'booking', route);
    t.equal(targetOf('/admin/jobs'), 'worker');
    t.equal(targetOf('/console'), 'web');

    // Every app serves /metrics, the web app too: the Ingress hands /metrics to a path it does not.
    const metrics = routeTo('/metrics')!;
    t.ok(
      metrics.exact && metrics.rewrite && metrics.rewrite !== '/metrics',
      `/metrics is rewritten to ${metrics.rewrite}`,
    );
    t.equal((await fetch(`${stack.web}/metrics`)).status, 200, 'the web app itself serves /metrics');
    const hidden = await fetch(`${stack.web}${metrics.rewrite}`);
    t.equal(hidden.status, 404);
    t.match(hidden.headers.get('content-type'), /^application\/json/);
    t.match(
      await hidden.json(),
      { statusCode: 404, code: 'ROUTE_NOT_FOUND', error: 'Not Found' },
      "the contract's 404",
    );

    // The compose proxy routes the same prefixes to the same services, and keeps /metrics too.
    const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8');
    for (const { path, service } of routes.filter((route) => !route.exact)) {
      t.match(
        nginx,
        new RegExp(`location ${path.replace(/\./g, '\\.')}/? \\{ proxy_pass http://\\$${service}; \\}`),
        `proxy: ${path}`,
      );
    }
    t.match(nginx, /location = \/metrics \{[^}]*return 404 /, 'proxy: /metrics answered by the proxy itself');
  });
});

t.test('docker-compose.yml', async (t) => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as any;
  const services = compose.services as Record<string, any>;
  const apps = ['gateway', 'booking', 'worker', 'web', 'migrate'];
  const environmentOf = (name: string) => services[name].environment as Record<string, string>;
  const mountsOf = (name: string) => (services[name].secrets ?? []) as string[];

  t.test("every app's environment is settings the schema knows", async (t) => {
    for (const name of apps) {
      const unknown = Object.keys(environmentOf(name)).filter((setting) => !SETTINGS.has(setting));
      t.same(unknown, [], `${name}: no unknown setting`);
    }
  });

  t.test('healthchecks everywhere; no fixed host port on scaled services; one proxy', async (t) => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') continue;
      t.ok(service.healthcheck?.test, `${name} has a healthcheck`);
    }
    for (const name of ['gateway', 'booking', 'worker', 'web']) {
      t.notOk(services[name].ports, `${name} publishes no host port (so --scale works)`);
      t.notOk(services[name].container_name, `${name} has no fixed container name`);
    }
    t.same(services.proxy.ports, ['${PROXY_PORT:-8080}:80']);
  });

  t.test('Redis persists its append-only file; PostgreSQL has a named volume; Node 22 image', async (t) => {
    const redis = services.redis.command.join(' ');
    t.match(redis, '--appendonly yes');
    t.match(redis, '--appendfsync everysec');
    t.match(services.redis.volumes, ['redisdata:/data']);
    t.match(services.postgres.volumes, ['pgdata:/var/lib/postgresql/data']);
    t.ok('pgdata' in compose.volumes && 'redisdata' in compose.volumes);
    t.match(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), /^FROM node:22-bookworm-slim AS runtime$/m);
  });

  t.test('each service mounts only the secrets it needs, and every *_FILE names one it mounts', async (t) => {
    for (const name of apps) {
      const files = Object.entries(environmentOf(name)).filter(([setting]) => setting.endsWith('_FILE'));
      const named = files.map(([, path]) => /^\/run\/secrets\/(\w+)$/.exec(path)?.[1]);
      t.same(
        named.filter((secret) => !secret || !mountsOf(name).includes(secret)),
        [],
        `${name}: each secret file it is given is mounted`,
      );
      t.same(
        [...mountsOf(name)].sort(),
        [...new Set(named)].sort(),
        `${name}: no secret mounted that it does not read`,
      );
    }
    t.same([...mountsOf('gateway')].sort(), ['admin_key', 'dev_identity_key', 'dev_identity_pub', 'token_key']);
    t.same(
      [...mountsOf('booking')].sort(),
      ['admin_key', 'dev_identity_pub', 'token_pub'],
      'booking: public keys and the admin key',
    );
    t.same(mountsOf('worker'), ['admin_key'], 'worker: the admin key (jobs board)');
    t.same(mountsOf('web'), [], 'web: no secret');
    t.same(mountsOf('migrate'), [], 'migrate: no secret');
  });

  t.test('secrets are files the documented script makes, and each app boots with its own', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
    execFileSync(process.execPath, [join(ROOT, 'deploy/compose/make-secrets.mjs'), dir]);
    const files = compose.secrets as Record<string, { file: string }>;
    for (const secret of Object.values(files)) {
      t.ok(
        existsSync(join(dir, secret.file.replace('./deploy/compose/secrets/', ''))),
        `${secret.file} is made by make-secrets.mjs`,
      );
    }
    // The settings as compose gives them to `service`: its own mounts mapped to the files just made
    // (a path it does not mount stays as it is, and missing), `${VAR:-default}` as the default.
    const envOf = (service: string) => {
      const mounted = new Map(
        mountsOf(service).map((secret) => [
          `/run/secrets/${secret}`,
          join(dir, files[secret]!.file.replace('./deploy/compose/secrets/', '')),
        ]),
      );
      return Object.fromEntries(
        Object.entries(environmentOf(service)).map(([k, v]) => [
          k,
          mounted.get(String(v)) ?? String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
        ]),
      );
    };
    const gateway = loadConfig(envOf('gateway'));
    t.ok(gateway.ADMIN_API_KEY && gateway.ADMIN_API_KEY.length >= 16, 'the admin key is read from its file');
    t.doesNotThrow(() => gatewayTokensOptions(gateway), 'the gateway has every key it needs');
    const booking = loadConfig(envOf('booking'));
    t.doesNotThrow(() => bookingTokensOptions(booking), 'booking has every key it needs');
    t.equal(booking.ADMIN_API_KEY, gateway.ADMIN_API_KEY, 'booking has the admin key (operators’ endpoints)');
    t.equal(booking.TOKEN_PRIVATE_KEY_FILE, undefined, 'booking gets no signing key');
    t.equal(booking.DEV_IDENTITY_PRIVATE_KEY_FILE, undefined, 'booking gets no identity signing key');
    t.equal(loadConfig(envOf('worker')).ADMIN_API_KEY, gateway.ADMIN_API_KEY, 'the worker’s jobs board has its key');
    t.doesNotThrow(() => loadConfig(envOf('web')), 'web boots without any secret');
    t.doesNotThrow(() => loadConfig(envOf('migrate')), 'migrate boots without any secret');
  });

  t.test('the proxy configuration is valid nginx', { skip: hasNginx ? false : 'nginx is not installed' }, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
    writeFileSync(
      join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { access_log off; include ${join(ROOT, 'deploy/compose/nginx.conf')}; }`,
    );
    const result = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    t.equal(result.status, 0, result.stderr);
  });

  t.test(
    "the proxy: /metrics is the contract's 404; a caller's X-Request-Id goes through, else nginx makes one",
    { skip: hasNginx ? false : 'nginx is not installed' },
    async (t) => {
      const context = await setupTestContext(t, { database: true });
      const stack = await startStack({ env: context.env, instances: { booking: 0, worker: 0 } });
      t.teardown(() => stack.stop());
      const proxy = await startComposeProxy(t, { gateway: stack.gateways[0]! });

      const metrics = await fetch(`${proxy}/metrics`);
      t.equal(metrics.status, 404);
      t.match(metrics.headers.get('content-type'), /^application\/json/);
      // Exactly what an app answers for a route it does not have.
      const unknown = (await (await fetch(`${stack.gateways[0]}/no-such-route`)).json()) as { message: string };
      t.same(await metrics.json(), { ...unknown, message: unknown.message.replace('/no-such-route', '/metrics') });

      const kept = await fetch(`${proxy}/queues/no-such-queue`, { headers: { 'x-request-id': 'caller-42.a' } });
      t.equal(kept.status, 404, 'routed to the gateway');
      t.equal(kept.headers.get('x-request-id'), 'caller-42.a', "the caller's id reached the gateway");
      const made = await fetch(`${proxy}/queues/no-such-queue`);
      t.match(made.headers.get('x-request-id'), /^[0-9a-f]{32}$/, "without one, nginx's own id");
    },
  );
});

t.test('Prometheus files', { skip: has('promtool') ? false : 'promtool is not installed' }, async (t) => {
  for (const args of [
    ['check', 'rules', 'deploy/prometheus/alert-rules.yml'],
    ['check', 'config', 'deploy/prometheus/prometheus.yml'],
    // The rules' own unit tests: e.g. AdmissionTicksStopped quiet while ticks happen, firing when they stop.
    ['test', 'rules', 'deploy/prometheus/alert-tests.yml'],
  ]) {
    const result = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    t.equal(result.status, 0, `promtool ${args.join(' ')}: ${result.stdout}${result.stderr}`);
  }
});

t.test('the Grafana dashboard: every panel has queries, ids are unique', async (t) => {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/concert-dashboard.json'), 'utf8'));
  const panels = dashboard.panels.filter((p: any) => p.type !== 'row');
  t.equal(new Set(dashboard.panels.map((p: any) => p.id)).size, dashboard.panels.length, 'unique ids');
  for (const panel of panels) t.ok(panel.targets.length && panel.targets.every((q: any) => q.expr), panel.title);
  const titles = panels.map((p: any) => p.title).join('|');
  for (const wanted of [
    'Line length',
    'Admission rate vs setting',
    'Active vs maxActive',
    'p99 latency by route',
    'Holds by outcome',
    'Payments per second',
    '5xx by code',
  ]) {
    t.match(titles, wanted, `panel: ${wanted}`);
  }
});
