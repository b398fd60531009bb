import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse, parseAllDocuments } from 'yaml';
import { configSchema, loadConfig } from '@concert/config';
import { bookingTokensOptions, gatewayTokensOptions } from '@concert/tokens';
import { setupTestContext, startStack } from '@concert/testing';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SETTINGS = new Set(Object.keys(configSchema.properties));
const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;

type K8s = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: any; data?: any };
type Container = {
  name: string;
  env?: { name: string; value?: string; valueFrom?: any }[];
  envFrom?: any[];
  [k: string]: any;
};

/** Renders the production overlay (with every component on) from a copy, with secrets made the documented way. */
function renderProduction(): K8s[] {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-'));
  cpSync(join(ROOT, 'deploy'), join(dir, 'deploy'), { recursive: true });
  const overlay = join(dir, 'deploy/k8s/overlays/production');
  const kustomization = readFileSync(join(overlay, 'kustomization.yaml'), 'utf8')
    .replace('# components:', 'components:')
    .replace(/^# {3}- (\.\.\/\.\.\/components\/\w+)$/gm, '  - $1');
  writeFileSync(join(overlay, 'kustomization.yaml'), kustomization);
  execFileSync(process.execPath, [join(ROOT, 'deploy/compose/make-secrets.mjs'), join(overlay, 'secrets')]);
  writeFileSync(join(overlay, 'secrets/database-url'), 'postgresql://concert:secret@pgbouncer:6432/concert');
  writeFileSync(join(overlay, 'secrets/database-direct-url'), 'postgresql://concert:secret@db.internal:5432/concert');
  const rendered = execFileSync('kubectl', ['kustomize', overlay], { encoding: 'utf8' });
  return parseAllDocuments(rendered).map((doc) => doc.toJS() as K8s);
}

const podSpecOf = (resource: K8s) =>
  resource.kind === 'Deployment' || resource.kind === 'StatefulSet' || resource.kind === 'Job'
    ? resource.spec.template.spec
    : undefined;

t.test('Kubernetes manifests', { skip: has('kubectl') ? false : 'kubectl is not installed' }, async (t) => {
  const resources = renderProduction();
  const named = (kind: string, name: string) =>
    resources.find((r) => r.kind === kind && r.metadata.name.replace(/-[a-z0-9]{10}$/, '') === name);
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
    const { ADMIN_API_KEY_FILE: _mounted, ...values } = configMap.data as Record<string, string>;
    t.doesNotThrow(() => loadConfig(values), 'its values are valid settings (the admin key file is mounted in pods)');
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
      if (app !== 'web')
        t.match(deployment!.spec.template.metadata.annotations, { 'prometheus.io/port': String(port) });
    }
    for (const app of ['gateway', 'booking']) {
      const hpa = named('HorizontalPodAutoscaler', app);
      t.same(hpa!.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: app }, `${app} autoscales`);
      t.ok(hpa!.spec.maxReplicas > hpa!.spec.minReplicas);
    }
  });

  t.test('secrets are mounted as files, and each *_FILE setting points into a mounted secret key', async (t) => {
    for (const resource of deployments) {
      const pod = resource.spec.template.spec;
      const container = pod.containers[0] as Container;
      const files = [
        ...(container.env ?? []).filter((e) => e.name.endsWith('_FILE')).map((e) => e.value!),
        ...(resource.metadata.name === 'pgbouncer'
          ? []
          : Object.entries(configMap.data)
              .filter(([name]) => name.endsWith('_FILE'))
              .map(([, value]) => value as string)),
      ];
      if (resource.metadata.name === 'web' || resource.metadata.name === 'pgbouncer') continue;
      for (const file of files) {
        const mount = (container.volumeMounts ?? []).find((m: any) => file.startsWith(`${m.mountPath}/`));
        t.ok(mount, `${resource.metadata.name}: ${file} is on a mounted volume`);
        const volume = pod.volumes.find((v: any) => v.name === mount?.name);
        const secret = volume?.secret && named('Secret', volume.secret.secretName.replace(/-[a-z0-9]{10}$/, ''));
        const key = file.slice(mount.mountPath.length + 1);
        t.ok(secret && key in secret.data, `${resource.metadata.name}: ${file} is key ${key} of a Secret`);
      }
    }
    const gatewayEnv = named('Deployment', 'gateway')!.spec.template.spec.containers[0].env as Container['env'];
    t.ok(
      gatewayEnv!.some((e) => e.name === 'TOKEN_PRIVATE_KEY_FILE'),
      'the gateway signs with a key file',
    );
    const bookingEnv = named('Deployment', 'booking')!.spec.template.spec.containers[0].env as Container['env'];
    t.notOk(
      bookingEnv!.some((e) => e.name === 'TOKEN_PRIVATE_KEY_FILE'),
      'booking never gets the signing key',
    );
    t.same(
      named('Deployment', 'booking')!
        .spec.template.spec.volumes[0].secret.items.map((i: any) => i.key)
        .sort(),
      ['admin-key', 'token.pub'],
    );
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
      const poolOf = (app: string) => {
        const env = named('Deployment', app)!.spec.template.spec.containers[0].env as Container['env'];
        const size = env!.find((e) => e.name === 'DATABASE_POOL_SIZE')?.value;
        return size
          ? Number(size)
          : app === 'booking'
            ? (configSchema.properties.DATABASE_POOL_SIZE as any).default
            : 4;
      };
      const mostPods = (app: string) => {
        const hpa = named('HorizontalPodAutoscaler', app);
        const deployment = named('Deployment', app)!;
        const surge = deployment.spec.strategy?.rollingUpdate?.maxSurge ?? 1;
        return (hpa ? hpa.spec.maxReplicas : deployment.spec.replicas) + surge;
      };
      const MIGRATE = 2;
      const budget = ['gateway', 'booking', 'worker'].reduce((sum, app) => sum + poolOf(app) * mostPods(app), MIGRATE);
      t.ok(budget <= 97, `pool x pods: ${budget} connections at most`);
      t.equal(poolOf('gateway'), 4);
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

  t.test('one host: the Ingress sends every API route to its service, and /metrics nowhere', async (t) => {
    const ingress = resources.find((r) => r.kind === 'Ingress')!;
    const paths: { path: string; service: string }[] = ingress.spec.rules[0].http.paths.map((p: any) => ({
      path: p.path,
      service: p.backend.service.name,
    }));
    for (const { service } of paths) t.ok(named('Service', service), `backend ${service} exists`);
    const routeTo = (url: string) =>
      paths
        .filter(({ path }) => path === '/' || url === path || url.startsWith(`${path}/`))
        .sort((a, b) => b.path.length - a.path.length)[0]?.service;

    // The routes each API really serves (its OpenAPI document), from running processes.
    const context = await setupTestContext(t, { database: true });
    const stack = await startStack({ env: context.env, instances: { worker: 0 } });
    t.teardown(() => stack.stop());
    const routesOf = async (url: string) => {
      const document = (await (await fetch(`${url}/docs/json`)).json()) as { paths: Record<string, unknown> };
      return Object.keys(document.paths).filter((path) => !/^\/(health|docs|metrics)/.test(path));
    };
    const gatewayRoutes = await routesOf(stack.gateways[0]!);
    const bookingRoutes = await routesOf(stack.bookings[0]!);
    t.ok(gatewayRoutes.length >= 6 && bookingRoutes.length >= 8, 'both documents list their routes');
    for (const route of gatewayRoutes) t.equal(routeTo(route.replace(/\{[^}]+\}/g, 'x')), 'gateway', route);
    for (const route of bookingRoutes) t.equal(routeTo(route.replace(/\{[^}]+\}/g, 'x')), 'booking', route);
    t.equal(routeTo('/admin/jobs'), 'worker');
    t.equal(routeTo('/console'), 'web');
    t.equal(routeTo('/metrics'), 'web', '/metrics is not routed to any API');

    // The compose proxy routes the same prefixes to the same services.
    const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8');
    for (const { path, service } of paths) {
      const prefix = path === '/' ? '/' : path;
      t.match(
        nginx,
        new RegExp(`location ${prefix.replace(/\./g, '\\.')}/? \\{ proxy_pass http://\\$${service}; \\}`),
        `proxy: ${path}`,
      );
    }
  });
});

t.test('docker-compose.yml', async (t) => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as any;
  const services = compose.services as Record<string, any>;
  const apps = ['gateway', 'booking', 'worker', 'web', 'migrate'];

  t.test("every app's environment is settings the schema knows", async (t) => {
    for (const name of apps) {
      const unknown = Object.keys(services[name].environment).filter((setting) => !SETTINGS.has(setting));
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

  t.test('secrets are files the documented script makes, and the apps boot with them', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-secrets-'));
    execFileSync(process.execPath, [join(ROOT, 'deploy/compose/make-secrets.mjs'), dir]);
    const mounted: Record<string, string> = {};
    for (const [name, secret] of Object.entries(compose.secrets as Record<string, { file: string }>)) {
      const file = join(dir, secret.file.replace('./deploy/compose/secrets/', ''));
      t.ok(existsSync(file), `${secret.file} is made by make-secrets.mjs`);
      mounted[`/run/secrets/${name}`] = file;
    }
    // The settings as compose gives them, with the secret paths mapped to the files just made.
    const envOf = (service: string) =>
      Object.fromEntries(
        Object.entries(services[service].environment as Record<string, string>).map(([k, v]) => [
          k,
          mounted[String(v)] ?? String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
        ]),
      );
    const gatewayConfig = loadConfig(envOf('gateway'));
    t.ok(
      gatewayConfig.ADMIN_API_KEY && gatewayConfig.ADMIN_API_KEY.length >= 16,
      'the admin key is read from its file',
    );
    t.doesNotThrow(() => gatewayTokensOptions(gatewayConfig), 'the gateway has every key it needs');
    t.doesNotThrow(() => bookingTokensOptions(loadConfig(envOf('booking'))), 'booking has every key it needs');
    t.equal(loadConfig(envOf('booking')).TOKEN_PRIVATE_KEY_FILE, undefined, 'booking gets no signing key');
  });

  t.test(
    'the proxy configuration is valid nginx',
    { skip: has('nginx') ? false : 'nginx is not installed' },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'nginx-'));
      writeFileSync(
        join(dir, 'nginx.conf'),
        `pid ${dir}/nginx.pid; error_log ${dir}/error.log; events {} http { access_log off; include ${join(ROOT, 'deploy/compose/nginx.conf')}; }`,
      );
      const result = spawnSync('nginx', ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
      t.equal(result.status, 0, result.stderr);
    },
  );
});

t.test('Prometheus files', { skip: has('promtool') ? false : 'promtool is not installed' }, async (t) => {
  for (const args of [
    ['check', 'rules', 'deploy/prometheus/alert-rules.yml'],
    ['check', 'config', 'deploy/prometheus/prometheus.yml'],
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
