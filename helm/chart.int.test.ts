// The Helm chart, checked by the real tools and against the code it deploys:
// - `helm lint --strict` and `helm template` for each environment's values, every rendered
//   manifest validated by `kubeconform -strict` against the Kubernetes and CRD schemas that
//   scripts/deploy-tools.sh prepares (no kind is skipped, no schema may be missing);
// - checkov over the rendered manifests: no failed check, and every suppression has a reason;
// - drift: images, ports, probe paths, environment variable names and metric names in the chart
//   match what the services read and expose, parsed from their source.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { imageCmd, imageInstructions } from '../scripts/dockerfile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHART = join(ROOT, 'helm', 'play-chacha');
const NAMESPACE = 'play-chacha';
const KUBERNETES_VERSION = '1.33.0';
const ENVIRONMENTS = ['development', 'staging', 'production'] as const;
// Everything the chart can render beyond the environments' defaults: separate engine processes,
// blue/green and autoscaling for the gateway, the mesh, Jaeger, a database read replica.
const READ_HOST = 'play-chacha-replica.rds.internal';
const EVERYTHING_ON = [
  'engine.enabled=true',
  'gateway.autoscaling.enabled=true',
  'istio.enabled=true',
  'tracing.jaeger.enabled=true',
  'rollouts.enabled=true',
  `database.readHost=${READ_HOST}`,
];
const TOOLS_TIMEOUT_MS = 30 * 60_000;

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};
type Container = {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
};
type CheckovReport = {
  results: {
    passed_checks: unknown[];
    failed_checks: Array<{ check_id: string; resource: string }>;
    skipped_checks: Array<{ check_id: string; resource: string; check_result: { suppress_comment?: string } }>;
  };
};
type Probe = { httpGet?: { path: string; port: string | number }; tcpSocket?: { port: string | number } };

let toolsDir = '';
let workDir = '';
const rendered = new Map<string, { file: string; manifests: Manifest[] }>();

function tool(name: string): string {
  return join(toolsDir, 'bin', name);
}

function run(command: string, args: string[], options: { input?: string } = {}): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(options.input === undefined ? {} : { input: options.input }) });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function helmTemplate(valuesFile: string | null, sets: readonly string[] = []): string {
  const args = ['template', 'play-chacha', CHART, '--namespace', NAMESPACE, '--kube-version', KUBERNETES_VERSION];
  if (valuesFile !== null) args.push('-f', join(CHART, valuesFile));
  for (const set of sets) args.push('--set', set);
  const result = run(tool('helm'), args);
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

function kubeconform(files: string[]): { status: number; summary: { valid: number; invalid: number; errors: number; skipped: number }; output: string } {
  const schemas = join(toolsDir, 'schemas');
  const result = run(tool('kubeconform'), [
    '-strict',
    '-summary',
    '-output', 'json',
    '-kubernetes-version', KUBERNETES_VERSION,
    '-schema-location', `${schemas}/kubernetes/{{ .NormalizedKubernetesVersion }}-standalone-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    '-schema-location', `${schemas}/crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json`,
    ...files,
  ]);
  const report = JSON.parse(result.stdout) as { summary: { valid: number; invalid: number; errors: number; skipped: number } };
  return { status: result.status, summary: report.summary, output: result.stdout };
}

function parse(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

function workloads(manifests: Manifest[]): Array<{ manifest: Manifest; component: string; containers: Container[] }> {
  return manifests
    .filter((m) => ['Deployment', 'StatefulSet', 'Rollout', 'DaemonSet', 'Job'].includes(m.kind))
    .map((manifest) => {
      const template = (manifest.spec as { template: { metadata: { labels: Record<string, string> }; spec: { containers: Container[]; initContainers?: Container[] } } }).template;
      return {
        manifest,
        component: template.metadata.labels['app.kubernetes.io/component'] ?? '',
        containers: [...(template.spec.initContainers ?? []), ...template.spec.containers],
      };
    });
}

/** The environment a container gets: its env entries and the keys of the ConfigMaps it loads. */
function containerEnv(container: Container, manifests: Manifest[]): Map<string, string | undefined> {
  const env = new Map<string, string | undefined>();
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    const configMap = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === name);
    expect(configMap, `ConfigMap ${name} loaded by ${container.name}`).toBeDefined();
    for (const [key, value] of Object.entries(configMap?.data ?? {})) env.set(key, value);
  }
  for (const entry of container.env ?? []) env.set(entry.name, entry.value);
  return env;
}

// ---- what the code reads and exposes, parsed from the source ----

/** The TypeScript files an entry point loads, following relative imports (tests excluded). */
function sourceClosure(entry: string): string[] {
  const seen = new Set<string>();
  const queue = [join(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/from\s+'(\.{1,2}\/[^']+)'/g)) {
      const target = resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts'));
      if (!target.endsWith('.test.ts')) queue.push(target);
    }
  }
  return [...seen];
}

/** Environment variable names the files read: env['X'], process.env['X'], or a config helper's 'X'. */
function envNamesRead(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/env\[['"]([A-Z][A-Z0-9_]*)['"]\]/g)) names.add(match[1] as string);
    for (const match of text.matchAll(/\b(?:envInteger|optional|required|optionalInteger|integer)\((?:env,\s*)?'([A-Z][A-Z0-9_]*)'/g)) names.add(match[1] as string);
  }
  return names;
}

/** The default of a port variable, as the code spells it: envInteger(env, 'X', 8080) or env['X'] ?? 8083. */
function portDefault(files: string[], name: string): number {
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const helper = new RegExp(`envInteger\\(env, '${name}', (\\d+)\\)`).exec(text);
    if (helper) return Number(helper[1]);
    const fallback = new RegExp(`env\\['${name}'\\] \\?\\? (\\d+)`).exec(text);
    if (fallback) return Number(fallback[1]);
  }
  throw new Error(`no default for ${name}`);
}

/** The paths the engine side door answers (engine/src/io/engine-http.ts). */
function engineHttpPaths(): Set<string> {
  const text = readFileSync(join(ROOT, 'engine/src/io/engine-http.ts'), 'utf8');
  return new Set([...text.matchAll(/case '(\/[a-z]*)':/g)].map((match) => match[1] as string));
}

function gatewayOpsPaths(): Set<string> {
  const text = readFileSync(join(ROOT, 'gateway/src/rest/routes/ops-routes.ts'), 'utf8');
  return new Set([...text.matchAll(/app\.get\('(\/[a-z]+)'/g)].map((match) => match[1] as string));
}

/** The paths the settlement worker's side door answers (settlement/src/io/settlement-http.ts). */
function settlementHttpPaths(): Set<string> {
  const text = readFileSync(join(ROOT, 'settlement/src/io/settlement-http.ts'), 'utf8');
  return new Set([...text.matchAll(/case '(\/[a-z]*)':/g)].map((match) => match[1] as string));
}

const METRICS_FILES = ['engine/src/io/metrics.ts', 'gateway/src/gateway-metrics.ts', 'settlement/src/settlement-metrics.ts'];

/** Metric names the services register, and the prefixes of their default Node.js metrics. */
function serviceMetrics(): { names: Set<string>; defaultPrefixes: string[] } {
  const names = new Set<string>();
  const defaultPrefixes: string[] = [];
  for (const file of METRICS_FILES) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const match of text.matchAll(/name: '(exch_[a-z0-9_]+)'/g)) names.add(match[1] as string);
    const prefix = /collectDefaultMetrics\(\{[^}]*prefix: '([a-z_]+)'/.exec(text);
    if (prefix) defaultPrefixes.push(prefix[1] as string);
  }
  return { names, defaultPrefixes };
}

// Which source each component runs: its entry point (its image target's CMD in the root
// Dockerfile, or the container's args).
const ENTRY_BY_COMPONENT: Record<string, string> = {
  gateway: 'gateway/src/main.ts',
  engine: 'engine/src/main.ts',
  settlement: 'settlement/src/main.ts',
  payments: 'settlement/src/payments/main.ts',
};
// Variables read by the runtime or the framework rather than by our source.
const RUNTIME_ENV: Record<string, string> = {
  NODE_EXTRA_CA_CERTS: 'Node.js: extra trusted CAs (the RDS bundle)',
  OTEL_TRACES_SAMPLER: 'OpenTelemetry SDK: the sampler (engine/src/io/tracing.ts starts the SDK)',
  OTEL_TRACES_SAMPLER_ARG: 'OpenTelemetry SDK: the sampler\'s ratio',
  HOST: '@sveltejs/adapter-node: listen address',
  PORT: '@sveltejs/adapter-node: listen port',
  ORIGIN: '@sveltejs/adapter-node: the public origin',
};


beforeAll(() => {
  const output = execFileSync('bash', [join(ROOT, 'scripts', 'deploy-tools.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: TOOLS_TIMEOUT_MS });
  toolsDir = output.trim().split('\n').at(-1) as string;
  workDir = mkdtempSync(join(tmpdir(), 'play-chacha-chart-'));
  for (const environment of ENVIRONMENTS) {
    const text = helmTemplate(`values-${environment}.yaml`);
    const file = join(workDir, 'rendered', `${environment}.yaml`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    rendered.set(environment, { file, manifests: parse(text) });
  }
  const everything = helmTemplate('values-production.yaml', EVERYTHING_ON);
  const file = join(workDir, 'rendered', 'everything-on.yaml');
  writeFileSync(file, everything);
  rendered.set('everything-on', { file, manifests: parse(everything) });
}, TOOLS_TIMEOUT_MS);

afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

describe('helm lint and kubeconform', () => {
  it.each(ENVIRONMENTS)('helm lint --strict passes with values-%s.yaml', (environment) => {
    const result = run(tool('helm'), ['lint', '--strict', CHART, '-f', join(CHART, `values-${environment}.yaml`), '--namespace', NAMESPACE]);
    expect(result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });

  it('values.schema.json refuses a misspelled key and an impossible port', () => {
    for (const set of ['gateway.httPort=8080', 'gateway.httpPort=70000', 'global.imagePullPolicy=Sometimes']) {
      const result = run(tool('helm'), ['lint', '--strict', CHART, '--set', set]);
      expect(result.stdout + result.stderr, set).toContain('1 chart(s) failed');
      expect(result.stdout, set).toMatch(/\[ERROR\] values\.yaml: - at '\/(gateway|global)/);
      expect(result.status, set).not.toBe(0);
    }
  });

  it.each([...ENVIRONMENTS, 'everything-on'])('every manifest rendered for %s is valid under kubeconform -strict', (name) => {
    const { file, manifests } = rendered.get(name) as { file: string; manifests: Manifest[] };
    const { status, summary, output } = kubeconform([file]);
    expect(summary, output).toEqual({ valid: manifests.length, invalid: 0, errors: 0, skipped: 0 });
    expect(status).toBe(0);
  });

  it('the Argo CD project and applications are valid under kubeconform -strict', () => {
    const directory = join(ROOT, 'helm', 'argocd');
    const files = readdirSync(directory).filter((name) => name.endsWith('.yaml')).map((name) => join(directory, name));
    const { status, summary } = kubeconform(files);
    expect(summary.valid).toBe(files.length);
    expect(summary.invalid + summary.errors + summary.skipped).toBe(0);
    expect(status).toBe(0);
    for (const name of ['staging', 'production']) {
      const application = parse(readFileSync(join(directory, `application-${name}.yaml`), 'utf8'))[0] as Manifest;
      const source = (application.spec as { source: { path: string; helm: { valueFiles: string[] } } }).source;
      expect(existsSync(join(ROOT, source.path, 'Chart.yaml'))).toBe(true);
      for (const valuesFile of source.helm.valueFiles) expect(existsSync(join(ROOT, source.path, valuesFile))).toBe(true);
    }
  });

  it('kubeconform rejects a manifest with an unknown field (the schemas are strict)', () => {
    const file = join(workDir, 'unknown-field.yaml');
    const deployment = rendered.get('production')?.manifests.find((m) => m.kind === 'Deployment') as Manifest;
    writeFileSync(file, JSON.stringify({ ...deployment, spec: { ...deployment.spec, replicaz: 2 } }));
    const { summary } = kubeconform([file]);
    expect(summary.invalid).toBe(1);
  });
});

describe('checkov over the rendered chart', () => {
  it('finds no failed check, and every suppression carries a reason', () => {
    const result = run(tool('checkov'), ['-d', join(workDir, 'rendered'), '--framework', 'kubernetes', '--skip-download', '--output', 'json']);
    const report = JSON.parse(result.stdout) as CheckovReport;
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.results.passed_checks.length).toBeGreaterThan(100);
    for (const skipped of report.results.skipped_checks) {
      const reason = (skipped.check_result.suppress_comment ?? '').trim();
      expect(reason.split(/\s+/).length, `${skipped.check_id} on ${skipped.resource}: a reason of a few words`).toBeGreaterThanOrEqual(5);
    }
    expect(result.status).toBe(0);
  });
});

describe('the chart matches the code', () => {
  const scenarios = [...ENVIRONMENTS, 'everything-on'];

  it.each(scenarios)('%s: every environment variable a container gets is one its code reads', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const webNames = envNamesRead(readdirSync(join(ROOT, 'web/src'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => join(ROOT, 'web/src', f)));
    let checked = 0;
    for (const { component, containers } of workloads(manifests)) {
      for (const container of containers) {
        if (!container.image.includes('play-chacha/')) continue;
        const entry = container.args?.[0] ?? imageCmd(component === 'payments' ? 'settlement' : component).cmd[0] ?? '';
        const closure = component === 'web' ? [] : sourceClosure(entry);
        const read = component === 'web' ? webNames : envNamesRead(closure);
        const startsTracing = closure.includes(join(ROOT, 'engine/src/io/tracing.ts'));
        expect(read.size, `${component}: names read by ${entry}`).toBeGreaterThan(0);
        for (const variable of containerEnv(container, manifests).keys()) {
          const runtime = variable in RUNTIME_ENV && (component === 'web' || variable === 'NODE_EXTRA_CA_CERTS' || (variable.startsWith('OTEL_') && startsTracing));
          const known = read.has(variable) || runtime;
          expect(known, `${component}/${container.name} sets ${variable}, which ${entry} never reads`).toBe(true);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it.each(scenarios)('%s: the variables the code requires are set, and listeners bind beyond loopback', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    for (const { component, containers } of workloads(manifests)) {
      const container = containers.at(-1) as Container;
      const env = containerEnv(container, manifests);
      if (component === 'gateway') {
        // Without these the gateway falls back to PGlite, files and a random JWT secret.
        for (const variable of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) expect(env.has(variable), `gateway ${variable}`).toBe(true);
        expect(env.get('GATEWAY_HOST')).toBe('0.0.0.0');
        expect(env.get('ENGINE_HTTP_HOST')).toBe('0.0.0.0');
        expect(env.get('DEMO')).toBe('0');
      }
      if (component === 'engine') {
        expect(env.has('REDIS_URL')).toBe(true);
        expect(env.has('PARTITION')).toBe(true);
        expect(env.get('ENGINE_HTTP_HOST')).toBe('0.0.0.0');
      }
      if (component === 'settlement') {
        for (const variable of ['DATABASE_URL', 'REDIS_URL']) expect(env.has(variable)).toBe(true);
        expect(env.get('SETTLEMENT_HTTP_HOST')).toBe('0.0.0.0');
      }
      if (component === 'payments') {
        for (const variable of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']) expect(env.has(variable)).toBe(true);
        expect(env.get('PAYMENTS_HTTP_HOST')).toBe('0.0.0.0');
      }
    }
  });

  it.each(scenarios)('%s: container ports are the ports the processes listen on', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const portVariables: Record<string, Record<string, { variable: string; files: string[] }>> = {
      gateway: {
        http: { variable: 'GATEWAY_HTTP_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['gateway'] as string) },
        ws: { variable: 'GATEWAY_WS_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['gateway'] as string) },
        engine: { variable: 'ENGINE_HTTP_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['gateway'] as string) },
        metrics: { variable: 'GATEWAY_METRICS_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['gateway'] as string) },
      },
      engine: { engine: { variable: 'ENGINE_HTTP_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['engine'] as string) } },
      settlement: { http: { variable: 'SETTLEMENT_HTTP_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['settlement'] as string) } },
      payments: { http: { variable: 'PAYMENTS_HTTP_PORT', files: sourceClosure(ENTRY_BY_COMPONENT['payments'] as string) } },
    };
    let checked = 0;
    for (const { component, containers } of workloads(manifests)) {
      const expected = portVariables[component];
      const container = containers.at(-1) as Container;
      if (expected === undefined) continue;
      const env = containerEnv(container, manifests);
      const image = component === 'payments' ? 'settlement' : component;
      const { exposed } = imageCmd(image);
      for (const port of container.ports ?? []) {
        const source = expected[port.name];
        expect(source, `${component} port ${port.name}`).toBeDefined();
        const { variable, files } = source as { variable: string; files: string[] };
        const listening = env.has(variable) ? Number(env.get(variable)) : portDefault(files, variable);
        expect(port.containerPort, `${component} ${port.name} = ${variable}`).toBe(listening);
        if (component !== 'payments') expect(exposed, `Dockerfile target ${image} EXPOSE`).toContain(port.containerPort);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(5);
  });

  it.each(scenarios)('%s: HTTP probes hit paths the processes serve, on declared ports', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const enginePaths = engineHttpPaths();
    expect(enginePaths).toContain('/healthz');
    expect(enginePaths).toContain('/readyz');
    const settlementPaths = settlementHttpPaths();
    expect([...settlementPaths].sort()).toEqual(['/healthz', '/metrics', '/readyz']);
    let settlementProbes = 0;
    let checked = 0;
    for (const { component, containers } of workloads(manifests)) {
      for (const container of containers) {
        for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe]) {
          const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
          if (port === undefined) continue;
          const named = (container.ports ?? []).find((p) => p.name === port || p.containerPort === port);
          expect(named, `${component} probe port ${port}`).toBeDefined();
          if (probe?.httpGet && (component === 'gateway' || component === 'engine') && named?.name === 'engine') {
            expect(enginePaths, `${component} probe ${probe.httpGet.path}`).toContain(probe.httpGet.path);
          } else if (probe?.httpGet && component === 'gateway') {
            // A gateway following remote engines answers on its REST port's operations routes.
            expect(named?.name).toBe('http');
            expect(gatewayOpsPaths(), `gateway probe ${probe.httpGet.path}`).toContain(probe.httpGet.path);
            expect(containerEnv(container, manifests).get('ENGINE_REMOTE')).toBe('1');
          } else if (probe?.httpGet && component === 'engine') {
            expect.fail(`the engine probe ${probe.httpGet.path} is not on its engine port`);
          }
          if (probe?.httpGet && component === 'web') expect(existsSync(join(ROOT, 'web/src/routes/+page.svelte'))).toBe(true);
          if (component === 'settlement') {
            expect(named?.name).toBe('http');
            expect(settlementPaths, `settlement probe ${probe?.httpGet?.path}`).toContain(probe?.httpGet?.path);
            settlementProbes += 1;
          }
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(3);
    expect(settlementProbes, 'the settlement worker is probed (liveness, readiness, startup)').toBe(3);
  });

  it.each(scenarios)('%s: the ServiceMonitor scrapes ports that the selected Services declare', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const monitor = manifests.find((m) => m.kind === 'ServiceMonitor');
    expect(monitor).toBeDefined();
    const spec = monitor?.spec as { selector: { matchExpressions: Array<{ key: string; values: string[] }> }; endpoints: Array<{ port: string; path: string }> };
    const components = spec.selector.matchExpressions.find((e) => e.key === 'app.kubernetes.io/component')?.values ?? [];
    expect(components).toContain('settlement');
    const services = manifests.filter((m) => m.kind === 'Service' && components.includes(m.metadata.labels?.['app.kubernetes.io/component'] ?? ''));
    const servicePorts = new Set(services.flatMap((service) => (service.spec as { ports: Array<{ name: string }> }).ports.map((port) => port.name)));
    for (const endpoint of spec.endpoints) {
      expect(servicePorts, `ServiceMonitor port ${endpoint.port}`).toContain(endpoint.port);
      expect(endpoint.path).toBe('/metrics');
    }
    const settlement = services.find((service) => service.metadata.labels?.['app.kubernetes.io/component'] === 'settlement');
    const port = (settlement?.spec as { ports: Array<{ name: string; targetPort: string }> }).ports.find((p) => p.name === 'metrics');
    expect(port?.targetPort).toBe('http');
    // The gateway's own metrics: scraped on their port, which no Ingress routes to.
    const gateway = services.find((service) => service.metadata.name.endsWith('-gateway'));
    expect((gateway?.spec as { ports: Array<{ name: string; targetPort: string }> }).ports.find((p) => p.name === 'metrics')?.targetPort).toBe('metrics');
    const ingressPorts = manifests
      .filter((m) => m.kind === 'Ingress')
      .flatMap((m) => (m.spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { port: { name?: string } } } }> } }> }).rules)
      .flatMap((rule) => rule.http.paths.map((path) => path.backend.service.port.name));
    expect(ingressPorts).not.toContain('metrics');
    expect(ingressPorts).not.toContain('engine');
  });

  it.each(scenarios)('%s: the services export traces to the OTLP endpoint when tracing is on, and only then', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const jaegerService = manifests.find((m) => m.kind === 'Service' && m.metadata.name.endsWith('-jaeger'));
    let traced = 0;
    for (const { component, containers } of workloads(manifests)) {
      if (!['gateway', 'engine', 'settlement'].includes(component)) continue;
      const env = containerEnv(containers.at(-1) as Container, manifests);
      if (jaegerService === undefined) {
        expect([...env.keys()].filter((key) => key.startsWith('OTEL_')), `${component} without a collector`).toEqual([]);
        continue;
      }
      const otlpHttp = (jaegerService.spec as { ports: Array<{ port: number }> }).ports.some((p) => p.port === 4318);
      expect(otlpHttp).toBe(true);
      expect(env.get('OTEL_EXPORTER_OTLP_ENDPOINT'), component).toBe(`http://${jaegerService.metadata.name}:4318`);
      expect(env.get('OTEL_SERVICE_NAME')).toBe(component);
      expect(env.get('OTEL_TRACES_SAMPLER')).toBe('parentbased_traceidratio');
      traced += 1;
    }
    // Jaeger runs in development (gateway and settlement) and everything-on (the engine processes too).
    expect(traced).toBe(({ development: 2, 'everything-on': 3 } as Record<string, number>)[name] ?? 0);
  });

  it('lets the traced services reach an OTLP collector outside the chart, and refuses an endpoint no policy could reach', () => {
    const endpoint = 'http://otel-collector.observability:4318';
    const sets = ['engine.enabled=true', `tracing.otlpEndpoint=${endpoint}`, 'tracing.collector.namespace=observability', 'tracing.collector.cidrs[0]=10.50.0.0/16'];
    const manifests = parse(helmTemplate('values-production.yaml', sets));
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
    type Egress = Array<{ to?: Array<{ namespaceSelector?: { matchLabels: Record<string, string> }; ipBlock?: { cidr: string } }>; ports?: Array<{ port: number }> }>;
    const reachesCollector = (component: string): boolean => {
      const policy = policies.find((m) => m.metadata.name.endsWith(`-${component}`));
      expect(policy, `${component} NetworkPolicy`).toBeDefined();
      return ((policy?.spec as { egress: Egress }).egress ?? []).some(
        (rule) =>
          rule.ports?.some((port) => port.port === 4318) === true &&
          rule.to?.some((peer) => peer.namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'observability') === true &&
          rule.to?.some((peer) => peer.ipBlock?.cidr === '10.50.0.0/16') === true,
      );
    };
    for (const component of ['gateway', 'engine', 'settlement']) {
      expect(reachesCollector(component), component).toBe(true);
      const workload = workloads(manifests).find((w) => w.component === component);
      expect(containerEnv(workload?.containers.at(-1) as Container, manifests).get('OTEL_EXPORTER_OTLP_ENDPOINT')).toBe(endpoint);
    }
    expect(reachesCollector('payments')).toBe(false);
    const refused = run(tool('helm'), ['template', 'play-chacha', CHART, '--namespace', NAMESPACE, '-f', join(CHART, 'values-production.yaml'), '--set', `tracing.otlpEndpoint=${endpoint}`]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('tracing.otlpEndpoint needs tracing.collector.namespace or tracing.collector.cidrs');
  });

  it.each(scenarios)('%s: a read replica host gives the gateway DATABASE_READ_URL from the Secret, and none without', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    const externalSecret = manifests.find((m) => m.kind === 'ExternalSecret');
    const templateData = (externalSecret?.spec as { target: { template: { data: Record<string, string> } } }).target.template.data;
    for (const { component, containers } of workloads(manifests)) {
      if (component !== 'gateway') continue;
      const entry = (containers.at(-1) as Container).env?.find((e) => e.name === 'DATABASE_READ_URL');
      if (name === 'everything-on') {
        expect(entry?.valueFrom?.secretKeyRef?.key).toBe('database-read-url');
        expect(templateData['database-read-url']).toContain(`@${READ_HOST}:`);
        expect(templateData['database-read-url']).toContain('sslmode=verify-full');
      } else {
        expect(entry).toBeUndefined();
        expect(templateData['database-read-url']).toBeUndefined();
      }
    }
  });

  it.each(scenarios)('%s: every image is a target of the Dockerfile whose entry point exists', (name) => {
    const { manifests } = rendered.get(name) as { manifests: Manifest[] };
    for (const { component, containers } of workloads(manifests)) {
      for (const container of containers) {
        const match = /play-chacha\/([a-z-]+):([\w.-]+)$/.exec(container.image);
        if (match === null) continue;
        const image = match[1] as string;
        const instructions = imageInstructions(image);
        const entry = container.args?.[0] ?? imageCmd(image).cmd.at(-1) ?? '';
        if (entry.startsWith('web/build/')) {
          // Built inside the image by a build stage (adapter-node writes web/build).
          const copy = instructions.find((line) => /^COPY --from=\S+ .*\/app\/web\/build/.test(line));
          expect(copy, `Dockerfile target ${image} copies the built web app`).toBeDefined();
          const buildStage = /--from=(\S+)/.exec(copy as string)?.[1] as string;
          expect(imageInstructions(buildStage), `stage ${buildStage} builds the web app`).toContain('RUN npm run build -w web');
          expect(readFileSync(join(ROOT, 'web/svelte.config.js'), 'utf8')).toMatch(/@sveltejs\/adapter-node/);
        } else {
          expect(existsSync(join(ROOT, entry)), `${component} runs ${entry}`).toBe(true);
        }
      }
    }
  });

  it('the alerts and dashboards use metric names the services register', () => {
    const { names, defaultPrefixes } = serviceMetrics();
    expect(names).toContain('exch_engine_leader');
    expect(names).toContain('exch_settlement_consumer_lag_commands');
    const rule = rendered.get('production')?.manifests.find((m) => m.kind === 'PrometheusRule');
    const dashboards = readdirSync(join(CHART, 'dashboards')).map((file) => readFileSync(join(CHART, 'dashboards', file), 'utf8'));
    const texts = [JSON.stringify(rule), ...dashboards];
    const used = new Set(texts.flatMap((text) => [...text.matchAll(/\b(exch_[a-z0-9_]+)/g)].map((match) => match[1] as string)));
    expect(used.size).toBeGreaterThan(5);
    expect(used).toContain('exch_settlement_consumer_lag_commands');
    for (const metric of used) {
      const base = metric.replace(/_(bucket|sum|count)$/, '');
      const known = names.has(metric) || names.has(base) || defaultPrefixes.some((prefix) => metric.startsWith(`${prefix}nodejs_`));
      expect(known, `${metric} is not registered in ${METRICS_FILES.join(', ')}`).toBe(true);
    }
  });

  it('no Secret and no secret value is rendered; secrets come from the ExternalSecret', () => {
    for (const [name, { manifests }] of rendered) {
      expect(manifests.filter((m) => m.kind === 'Secret'), name).toEqual([]);
      const externalSecret = manifests.find((m) => m.kind === 'ExternalSecret');
      expect(externalSecret, name).toBeDefined();
      for (const { containers } of workloads(manifests)) {
        for (const container of containers) {
          for (const entry of container.env ?? []) {
            if (/SECRET|PASSWORD|DATABASE_URL|REDIS_URL|KEY/.test(entry.name)) expect(entry.value, `${name} ${container.name} ${entry.name}`).toBeUndefined();
          }
        }
      }
    }
  });
});
