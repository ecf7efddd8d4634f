import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { WAL_RECEIVER_APPLICATION } from '../src/backup/wal-receiver.js';
import { checkCliInvocation } from '../src/cli/check-invocation.js';
import { passwordVariable } from '../src/cli/commands/db-credentials.js';
import { CREDENTIAL_SETTINGS, loadConfig } from '../src/config/config.js';
import { parseNodeList } from '../src/config/node-list.js';
import { ALL_SERVICE_DB_ROLES, rolePassword } from '../src/db/api-roles.js';
import { serviceCredentials, type ServiceKind } from '../src/stack/service-credentials.js';
import { type KubeObject, unknownFieldProblems, validateObject } from './support/kubernetes-schema.js';

/**
 * Static checks of the Kubernetes manifests in deploy/kubernetes (no cluster needed): every YAML
 * document parses and is valid against the Kubernetes API schema (kubernetes-models), the
 * kustomizations list every file and nothing missing, each layout (the default one with in-cluster
 * Citus, and every overlay) references only what exists, runs each DistRAG process as a valid CLI
 * command with its probes, resources and security settings, and hands each workload exactly its own
 * credentials, only through secretKeyRef. With `kubectl` installed, kustomize renders both layouts.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const k8sRoot = path.join(root, 'deploy/kubernetes');
const rel = (file: string) => path.relative(root, file);

// ---- reading the files ----

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : [full];
  });
}

const allFiles = walk(k8sRoot);
const yamlFiles = allFiles.filter((f) => /\.ya?ml$/.test(f));
const parsed = new Map(yamlFiles.map((file) => [file, parseAllDocuments(fs.readFileSync(file, 'utf8'))] as const));
const docsOf = (file: string): KubeObject[] => {
  const docs = parsed.get(file);
  if (!docs) throw new Error(`${rel(file)} is not a YAML file under deploy/kubernetes`);
  const list = Array.isArray(docs) ? docs : [docs];
  return list.map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null);
};

interface Kustomization {
  namespace?: string;
  resources?: string[];
  components?: string[];
  patches?: Array<{ path?: string; patch?: string; target?: unknown }>;
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  images?: Array<{ name: string; newName?: string; newTag?: string; digest?: string }>;
}
interface Generator { name: string; files?: string[]; envs?: string[]; literals?: string[] }

const isKustomization = (file: string) => path.basename(file) === 'kustomization.yaml';
const kustomizationOf = (dir: string): Kustomization => docsOf(path.join(dir, 'kustomization.yaml'))[0] as Kustomization;
const kustomizationDirs = yamlFiles.filter(isKustomization).map((f) => path.dirname(f));

// ---- a small kustomize: enough of it to check what each layout holds ----

interface Workload { kind: string; name: string; object: KubeObject; pod: PodSpec; replicas: number | undefined }
interface Layout {
  name: string;
  dir: string;
  objects: KubeObject[];
  /** Generated ConfigMaps and Secrets: name → the files (absolute) they are made from. */
  generatedConfigMaps: Map<string, string[]>;
  generatedSecrets: Map<string, string[]>;
  images: NonNullable<Kustomization['images']>;
  namespace: string | undefined;
}

function render(dir: string, name = rel(dir)): Layout {
  const k = kustomizationOf(dir);
  const layout: Layout = { name, dir, objects: [], generatedConfigMaps: new Map(), generatedSecrets: new Map(), images: [], namespace: k.namespace };
  for (const entry of [...(k.resources ?? []), ...(k.components ?? [])]) {
    const target = path.join(dir, entry);
    if (fs.statSync(target).isDirectory()) {
      const sub = render(target);
      layout.objects.push(...sub.objects);
      for (const [n, files] of sub.generatedConfigMaps) layout.generatedConfigMaps.set(n, files);
      for (const [n, files] of sub.generatedSecrets) layout.generatedSecrets.set(n, files);
      layout.images.push(...sub.images.filter((i) => !(k.images ?? []).some((own) => own.name === i.name)));
    } else {
      layout.objects.push(...docsOf(target));
    }
  }
  for (const g of k.configMapGenerator ?? []) layout.generatedConfigMaps.set(g.name, [...(g.files ?? []), ...(g.envs ?? [])].map((f) => path.join(dir, f)));
  for (const g of k.secretGenerator ?? []) layout.generatedSecrets.set(g.name, [...(g.files ?? []), ...(g.envs ?? [])].map((f) => path.join(dir, f)));
  layout.images.push(...(k.images ?? []));
  for (const patch of k.patches ?? []) {
    if (!patch.path) throw new Error(`${rel(dir)}: only patches from files are understood by this test`);
    for (const doc of docsOf(path.join(dir, patch.path))) {
      const target = layout.objects.find((o) => o.kind === doc.kind && o.metadata?.name === doc.metadata?.name);
      if (!target) throw new Error(`${rel(dir)}: patch ${patch.path} names ${String(doc.kind)} ${String(doc.metadata?.name)}, which the layout does not have`);
      if (doc.kind !== 'ConfigMap' || '$patch' in doc) throw new Error(`${rel(dir)}: only ConfigMap data patches are understood by this test (${patch.path})`);
      target.data = { ...(target.data as Record<string, string>), ...(doc.data as Record<string, string>) };
    }
  }
  return layout;
}

/** Top-level layouts: deploy/kubernetes itself and each overlay. */
const layouts = [render(k8sRoot, 'default'), ...fs.readdirSync(path.join(k8sRoot, 'overlays')).map((o) => render(path.join(k8sRoot, 'overlays', o), `overlays/${o}`))];
const defaultLayout = layouts[0]!;

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: unknown;
    resourceFieldRef?: unknown;
  };
}
interface Probe { httpGet?: { path?: string; port?: number | string }; exec?: { command?: string[] }; tcpSocket?: unknown }
interface SecurityContext { runAsNonRoot?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } }
interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string; items?: Array<{ key: string }> }; secret?: { secretName: string }; persistentVolumeClaim?: { claimName: string }; emptyDir?: unknown }>;
  securityContext?: SecurityContext & { fsGroup?: number };
  automountServiceAccountToken?: boolean;
}

function workloads(layout: Layout): Workload[] {
  return layout.objects.flatMap((o): Workload[] => {
    const spec = o.spec as { replicas?: number; template?: { spec?: PodSpec } } | undefined;
    if (!['Deployment', 'StatefulSet', 'Job', 'DaemonSet', 'CronJob'].includes(String(o.kind))) return [];
    const pod = o.kind === 'CronJob' ? (spec as { jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } }).jobTemplate?.spec?.template?.spec : spec?.template?.spec;
    if (!pod) throw new Error(`${String(o.kind)} ${String(o.metadata?.name)} has no pod template`);
    return [{ kind: String(o.kind), name: String(o.metadata?.name), object: o, pod, replicas: spec?.replicas }];
  });
}
const allContainers = (pod: PodSpec) => [...(pod.initContainers ?? []), ...pod.containers];
const objectsOf = (layout: Layout, kind: string) => layout.objects.filter((o) => o.kind === kind);
const find = (layout: Layout, kind: string, name: string) => layout.objects.find((o) => o.kind === kind && o.metadata?.name === name);
const workload = (layout: Layout, name: string) => workloads(layout).find((w) => w.name === name);
const configData = (layout: Layout, name = 'distrag-config') => (find(layout, 'ConfigMap', name)?.data ?? {}) as Record<string, string>;

// ---- what DistRAG runs, and the secrets ----

/** The image every DistRAG process runs (docker/Dockerfile); kustomization.yaml `images:` tags it. */
const DISTRAG_IMAGE = 'distrag';

/** Each long-running DistRAG process: its service kind (src/stack/service-credentials.ts), contract port and CLI command. */
const DISTRAG_SERVICES: Record<string, { kind: ServiceKind; port: number; args: string[] }> = {
  gateway: { kind: 'gateway', port: 4000, args: ['serve', 'gateway'] },
  data: { kind: 'data', port: 4001, args: ['serve', 'data'] },
  rag: { kind: 'rag', port: 4002, args: ['serve', 'rag'] },
  cache: { kind: 'cache', port: 4003, args: ['serve', 'cache'] },
  cluster: { kind: 'cluster', port: 4004, args: ['serve', 'cluster'] },
  feed: { kind: 'feed', port: 4005, args: ['serve', 'feed'] },
  backup: { kind: 'backup', port: 4006, args: ['backup', '--watch'] },
};

const exampleFile = path.join(k8sRoot, 'base/secrets.env.example');
const exampleLines = fs.readFileSync(exampleFile, 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
const exampleKeys = exampleLines.map((l) => l.slice(0, l.indexOf('=')));

/** A fake value for every secret: the role passwords as `npx distrag db-credentials` derives them. */
const PG_PASSWORD = 'fakeAdminPassword0123456789';
const fakeSecrets: Record<string, string> = {
  ...Object.fromEntries(exampleKeys.map((k) => [k, `fake-${k.toLowerCase().replace(/_/g, '-')}-value`])),
  DISTRAG_PG_PASSWORD: PG_PASSWORD,
  DISTRAG_JWT_SECRET: 'fake-jwt-secret-'.padEnd(40, 'j'),
  DISTRAG_INTERNAL_SECRET: 'fake-internal-secret-'.padEnd(40, 'i'),
  ...Object.fromEntries(ALL_SERVICE_DB_ROLES.map((role) => [passwordVariable(role), rolePassword(PG_PASSWORD, role)])),
};

/** A container's environment as the kubelet makes it: envFrom, then env in order with `$(VAR)` expanded. */
function resolveEnv(layout: Layout, container: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, configData(layout, from.configMapRef.name));
    if (from.secretRef) throw new Error(`${container.name}: envFrom a whole Secret`);
  }
  const expand = (value: string) => value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m);
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = expand(v.value);
    else if (v.valueFrom?.secretKeyRef) {
      const value = fakeSecrets[v.valueFrom.secretKeyRef.key];
      if (value !== undefined) env[v.name] = value;
    } else if (v.valueFrom?.configMapKeyRef) {
      const value = configData(layout, v.valueFrom.configMapKeyRef.name)[v.valueFrom.configMapKeyRef.key];
      if (value !== undefined) env[v.name] = value;
    } else env[v.name] = `<${v.name} from the pod>`;
  }
  return env;
}
const expandArgs = (args: string[], env: Record<string, string>) => args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));

/** The admin URL of a layout, as its distrag-config places the database. */
function adminUrl(layout: Layout): string {
  const c = configData(layout);
  return `postgresql://${c.DISTRAG_DB_ADMIN_USER}:${PG_PASSWORD}@${c.DISTRAG_DB_HOST}:${c.DISTRAG_DB_PORT}/distrag${c.DISTRAG_DB_URL_PARAMS ?? ''}`;
}

/**
 * The credentials each workload's main container must hold, and no others: the DistRAG services'
 * from src/stack/service-credentials.ts (every optional API key set); the rest from this table.
 */
function expectedCredentials(layout: Layout, name: string): Record<string, string> {
  const service = DISTRAG_SERVICES[name];
  const apiKeys = { GEMINI_API_KEY: fakeSecrets.GEMINI_API_KEY, DISTRAG_LLM_API_KEY: fakeSecrets.DISTRAG_LLM_API_KEY, DISTRAG_EMBED_API_KEY: fakeSecrets.DISTRAG_EMBED_API_KEY };
  if (service) return serviceCredentials(service.kind, { jwtSecret: fakeSecrets.DISTRAG_JWT_SECRET!, internalSecret: fakeSecrets.DISTRAG_INTERNAL_SECRET!, pgPassword: PG_PASSWORD }, adminUrl(layout), apiKeys);
  switch (name) {
    // `distrag migrate` (the init Job) reads the admin URL only (src/cli/commands/migrate.ts).
    case 'distrag-init':
      return { DISTRAG_DATABASE_URL: adminUrl(layout) };
    // The Citus image: the admin role's password for initdb, and for node-to-node connections.
    case 'coordinator':
    case 'worker':
      return { POSTGRES_PASSWORD: PG_PASSWORD, PGPASSWORD: PG_PASSWORD };
    case 'redis':
    case 'chroma':
      return {};
    default:
      throw new Error(`workload ${name}: add what credentials it gets to expectedCredentials`);
  }
}
const credentialNames = new Set([...CREDENTIAL_SETTINGS, 'POSTGRES_PASSWORD', 'PGPASSWORD']);
const SECRET_NAME = /PASSWORD|SECRET|API_KEY|(^|_)TOKEN$|CREDENTIAL/i;
const normalize = (value: string) => (/^postgres(ql)?:\/\//.test(value) ? new URL(value).toString() : value);

const secretKeyRefs = (pod: PodSpec) => allContainers(pod).flatMap((c) => (c.env ?? []).flatMap((v) => (v.valueFrom?.secretKeyRef ? [v.valueFrom.secretKeyRef] : [])));

/** `distrag` → `distrag:local`, through the layout's `images:`. */
function finalImage(layout: Layout, image: string): string {
  const at = image.indexOf('@');
  const base = at >= 0 ? image.slice(0, at) : image.replace(/:[^:/]+$/, '');
  const entry = layout.images.find((i) => i.name === base);
  if (!entry) return image;
  if (entry.digest) return `${entry.newName ?? base}@${entry.digest}`;
  const tag = entry.newTag ?? (at < 0 && image !== base ? image.slice(base.length + 1) : undefined);
  return `${entry.newName ?? base}${tag ? `:${tag}` : ''}`;
}

const portNumber = (container: Container, port: number | string | undefined) =>
  typeof port === 'string' ? container.ports?.find((p) => p.name === port)?.containerPort : port;

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

describe('deploy/kubernetes', () => {
  it('parses: every YAML document, without errors or warnings', () => {
    expect(yamlFiles.length).toBeGreaterThan(10);
    for (const [file, docs] of parsed) {
      for (const doc of Array.isArray(docs) ? docs : [docs]) {
        expect(doc.errors.map((e) => e.message), rel(file)).toEqual([]);
        expect(doc.warnings.map((e) => e.message), rel(file)).toEqual([]);
      }
    }
  });

  it('lists every manifest in the kustomization of its directory, and only files that exist', () => {
    const listed = new Set<string>();
    for (const dir of kustomizationDirs) {
      const k = kustomizationOf(dir);
      for (const entry of [...(k.resources ?? []), ...(k.components ?? [])]) {
        const target = path.join(dir, entry);
        expect(fs.existsSync(target), `${rel(dir)}/kustomization.yaml lists ${entry}, which does not exist`).toBe(true);
        if (fs.statSync(target).isDirectory()) expect(fs.existsSync(path.join(target, 'kustomization.yaml')), `${rel(target)} has no kustomization.yaml`).toBe(true);
        else listed.add(target);
      }
      for (const patch of k.patches ?? []) {
        expect(patch.path, `${rel(dir)}: a patch from a file`).toBeDefined();
        expect(fs.existsSync(path.join(dir, patch.path!)), `${rel(dir)}: patch ${patch.path}`).toBe(true);
        listed.add(path.join(dir, patch.path!));
      }
      for (const g of [...(k.configMapGenerator ?? []), ...(k.secretGenerator ?? [])]) {
        for (const f of [...(g.files ?? []), ...(g.envs ?? [])]) {
          // The one file that is never committed: the secrets themselves.
          if (path.basename(f) === 'secrets.env') continue;
          expect(fs.existsSync(path.join(dir, f)), `${rel(dir)}: generator ${g.name} reads ${f}`).toBe(true);
          listed.add(path.join(dir, f));
        }
      }
    }
    for (const file of yamlFiles.filter((f) => !isKustomization(f))) {
      expect(listed.has(file), `${rel(file)} is not listed by ${rel(path.dirname(file))}/kustomization.yaml`).toBe(true);
      expect(kustomizationDirs, `${rel(file)}: its directory has a kustomization.yaml`).toContain(path.dirname(file));
    }
    // Every non-YAML file is read by a generator, or is documentation, the secrets example or .gitignore.
    for (const file of allFiles.filter((f) => !/\.ya?ml$/.test(f))) {
      if (['README.md', 'secrets.env.example', '.gitignore', 'secrets.env'].includes(path.basename(file))) continue;
      expect(listed.has(file), `${rel(file)} is read by no generator`).toBe(true);
    }
  });

  it('holds only objects valid against the Kubernetes API schema (kubernetes-models); an unknown kind fails', async () => {
    const problems: string[] = [];
    for (const file of yamlFiles.filter((f) => !isKustomization(f))) {
      for (const object of docsOf(file)) {
        const problem = await validateObject(object);
        if (problem) problems.push(`${rel(file)} ${String(object.kind)} ${String(object.metadata?.name)}: ${problem}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('uses no field the schema does not have (a misspelt field would be dropped or refused)', () => {
    const objects = yamlFiles.filter((f) => !isKustomization(f)).flatMap((file) => docsOf(file).map((object) => ({ label: `${rel(file)} ${String(object.kind)} ${String(object.metadata?.name)}`, object })));
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 60_000);

  it('builds each layout the same way: namespace distrag, the DistRAG image through `images:` (distrag → distrag:local), no untagged or latest image', () => {
    for (const layout of layouts) {
      expect(layout.namespace, `${layout.name}: namespace`).toBe('distrag');
      expect(find(layout, 'Namespace', 'distrag'), `${layout.name}: the Namespace object`).toBeDefined();
      expect(layout.images.find((i) => i.name === DISTRAG_IMAGE), `${layout.name}: images entry for ${DISTRAG_IMAGE}`).toMatchObject({ newName: 'distrag', newTag: 'local' });
      for (const w of workloads(layout)) {
        for (const c of allContainers(w.pod)) {
          const image = finalImage(layout, c.image ?? '');
          expect(image, `${layout.name} ${w.name}/${c.name}: image pinned to a tag or digest`).toMatch(/^[^:@]+(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
          expect(image.endsWith(':latest'), `${layout.name} ${w.name}/${c.name}: ${image}`).toBe(false);
        }
      }
    }
  });

  it('references only what each layout has: ConfigMaps, Secrets, volumes, Services, ports', () => {
    for (const layout of layouts) {
      const configMaps = new Set([...objectsOf(layout, 'ConfigMap').map((o) => String(o.metadata?.name)), ...layout.generatedConfigMaps.keys()]);
      const secrets = new Set([...objectsOf(layout, 'Secret').map((o) => String(o.metadata?.name)), ...layout.generatedSecrets.keys()]);
      const claims = new Set(objectsOf(layout, 'PersistentVolumeClaim').map((o) => String(o.metadata?.name)));
      const at = (w: Workload, c?: Container) => `${layout.name} ${w.kind} ${w.name}${c ? `/${c.name}` : ''}`;
      for (const w of workloads(layout)) {
        const templates = ((w.object.spec as { volumeClaimTemplates?: Array<{ metadata: { name: string } }> }).volumeClaimTemplates ?? []).map((t) => t.metadata.name);
        const volumes = new Set([...(w.pod.volumes ?? []).map((v) => v.name), ...templates]);
        for (const v of w.pod.volumes ?? []) {
          if (v.configMap) expect(configMaps.has(v.configMap.name), `${at(w)}: ConfigMap ${v.configMap.name}`).toBe(true);
          if (v.secret) expect(secrets.has(v.secret.secretName), `${at(w)}: Secret ${v.secret.secretName}`).toBe(true);
          if (v.persistentVolumeClaim) expect(claims.has(v.persistentVolumeClaim.claimName), `${at(w)}: PVC ${v.persistentVolumeClaim.claimName}`).toBe(true);
        }
        for (const c of allContainers(w.pod)) {
          for (const m of c.volumeMounts ?? []) {
            expect(volumes.has(m.name), `${at(w, c)}: volume ${m.name}`).toBe(true);
            const source = w.pod.volumes?.find((v) => v.name === m.name)?.configMap?.name;
            const files = source ? layout.generatedConfigMaps.get(source) : undefined;
            if (m.subPath && files) expect(files.map((f) => path.basename(f)), `${at(w, c)}: ${source} holds ${m.subPath}`).toContain(m.subPath);
          }
          for (const from of c.envFrom ?? []) if (from.configMapRef) expect(configMaps.has(from.configMapRef.name), `${at(w, c)}: ConfigMap ${from.configMapRef.name}`).toBe(true);
          for (const v of c.env ?? []) {
            const ref = v.valueFrom?.secretKeyRef;
            if (ref) expect(secrets.has(ref.name), `${at(w, c)}: Secret ${ref.name}`).toBe(true);
            const cm = v.valueFrom?.configMapKeyRef;
            if (cm) expect(Object.keys(configData(layout, cm.name)), `${at(w, c)}: ConfigMap ${cm.name} key ${cm.key}`).toContain(cm.key);
          }
          for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
            if (probe?.httpGet) expect(portNumber(c, probe.httpGet.port), `${at(w, c)}: probe port ${String(probe.httpGet.port)}`).toBeDefined();
          }
        }
        const serviceName = (w.object.spec as { serviceName?: string }).serviceName;
        if (serviceName) expect((find(layout, 'Service', serviceName)?.spec as { clusterIP?: string } | undefined)?.clusterIP, `${at(w)}: headless Service ${serviceName}`).toBe('None');
      }
      const podsMatching = (selector: Record<string, string>) =>
        workloads(layout).filter((w) => {
          const labels = ((w.object.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {});
          return Object.entries(selector).every(([k, v]) => labels[k] === v);
        });
      for (const s of objectsOf(layout, 'Service')) {
        const spec = s.spec as { selector?: Record<string, string>; ports: Array<{ name?: string; port: number; targetPort?: number | string }> };
        const pods = podsMatching(spec.selector ?? {});
        expect(pods.length, `${layout.name} Service ${String(s.metadata?.name)} selects a workload`).toBe(1);
        for (const p of spec.ports) {
          const containers = pods[0]!.pod.containers;
          expect(containers.some((c) => portNumber(c, p.targetPort ?? p.port) !== undefined), `${layout.name} Service ${String(s.metadata?.name)} port ${p.name ?? p.port}`).toBe(true);
        }
      }
      for (const pdb of objectsOf(layout, 'PodDisruptionBudget')) {
        expect(podsMatching((pdb.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).length, `${layout.name} PDB ${String(pdb.metadata?.name)}`).toBe(1);
      }
      for (const ingress of objectsOf(layout, 'Ingress')) {
        const rules = (ingress.spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name?: string; number?: number } } } }> } }> }).rules;
        for (const { backend } of rules.flatMap((r) => r.http.paths)) {
          const service = find(layout, 'Service', backend.service.name);
          expect(service, `${layout.name} Ingress backend ${backend.service.name}`).toBeDefined();
          const ports = (service!.spec as { ports: Array<{ name?: string; port: number }> }).ports;
          expect(ports.some((p) => p.name === backend.service.port.name || p.port === backend.service.port.number), `${layout.name} Ingress → ${backend.service.name} port`).toBe(true);
        }
      }
    }
  });

  it('sets resource requests and limits on every container, and runs every one as non-root without privilege escalation', () => {
    for (const layout of layouts) {
      for (const w of workloads(layout)) {
        expect(w.pod.automountServiceAccountToken, `${layout.name} ${w.name}: no API token in the pod`).toBe(false);
        for (const c of allContainers(w.pod)) {
          const at = `${layout.name} ${w.name}/${c.name}`;
          for (const kind of ['requests', 'limits'] as const) {
            for (const resource of ['cpu', 'memory']) expect(c.resources?.[kind]?.[resource], `${at}: resources.${kind}.${resource}`).toBeDefined();
          }
          const nonRoot = c.securityContext?.runAsNonRoot ?? w.pod.securityContext?.runAsNonRoot;
          const uid = c.securityContext?.runAsUser ?? w.pod.securityContext?.runAsUser;
          expect(nonRoot, `${at}: runAsNonRoot`).toBe(true);
          expect(uid, `${at}: a numeric non-root uid`).toBeGreaterThan(0);
          expect(c.securityContext?.allowPrivilegeEscalation, `${at}: allowPrivilegeEscalation`).toBe(false);
          expect(c.securityContext?.capabilities?.drop, `${at}: capabilities dropped`).toContain('ALL');
          if (c.image === DISTRAG_IMAGE) expect(c.securityContext?.readOnlyRootFilesystem, `${at}: read-only root filesystem`).toBe(true);
        }
      }
    }
  });

  it('relies on an image whose entrypoint is the distrag CLI (docker/Dockerfile): containers give only `args`', () => {
    const entrypoint = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(fs.readFileSync(path.join(root, 'docker/Dockerfile'), 'utf8'))?.[1];
    expect(entrypoint, 'docker/Dockerfile ENTRYPOINT (exec form)').toBeDefined();
    expect((JSON.parse(entrypoint!) as string[]).some((part) => part.endsWith('bin/distrag.js')), `docker/Dockerfile ENTRYPOINT ${entrypoint} runs the CLI`).toBe(true);
  });

  it('runs every DistRAG process from the one image as a valid `distrag` CLI command (checkCliInvocation)', () => {
    for (const layout of layouts) {
      for (const w of workloads(layout)) {
        for (const c of allContainers(w.pod)) {
          if (c.image !== DISTRAG_IMAGE) continue;
          const at = `${layout.name} ${w.name}/${c.name}`;
          expect(c.command, `${at}: no command (the image's entrypoint is the CLI)`).toBeUndefined();
          const args = expandArgs(c.args ?? [], resolveEnv(layout, c));
          expect(checkCliInvocation(args), `${at}: distrag ${args.join(' ')}`).toBeNull();
        }
      }
      const distragWorkloads = workloads(layout).filter((w) => w.pod.containers.some((c) => c.image === DISTRAG_IMAGE));
      const services = distragWorkloads.filter((w) => w.kind !== 'Job').map((w) => w.name).sort();
      expect(services, `${layout.name}: the DistRAG Deployments`).toEqual(Object.keys(DISTRAG_SERVICES).filter((n) => layout === defaultLayout || n !== 'backup').sort());
      for (const name of services) {
        const w = workload(layout, name)!;
        expect(w.kind, name).toBe('Deployment');
        expect(w.pod.containers.map((c) => c.args), name).toEqual([DISTRAG_SERVICES[name]!.args]);
      }
      // The init Job runs migrate, the command compose's init service runs.
      const init = workload(layout, 'distrag-init');
      expect(init?.kind, `${layout.name}: the distrag-init Job`).toBe('Job');
      expect(init!.pod.containers[0]!.args?.[0], 'distrag-init runs migrate').toBe('migrate');
      // No recovery watchdog: Kubernetes restarts what dies.
      for (const w of distragWorkloads) for (const c of w.pod.containers) expect(c.args?.[0], `${layout.name} ${w.name}: no recover --watch`).not.toBe('recover');
    }
  });

  it('probes /healthz (liveness) and /readyz (readiness) on each DistRAG service port, which its Service and DISTRAG_SERVICE_PORT name', () => {
    for (const layout of layouts) {
      for (const [name, { port }] of Object.entries(DISTRAG_SERVICES)) {
        const w = workload(layout, name);
        if (!w) continue; // the overlays without a backup process (checked above)
        const c = w.pod.containers[0]!;
        const at = `${layout.name} ${name}`;
        expect(c.ports?.map((p) => p.containerPort), `${at}: container port`).toEqual([port]);
        expect(resolveEnv(layout, c).DISTRAG_SERVICE_PORT, `${at}: DISTRAG_SERVICE_PORT`).toBe(String(port));
        expect(c.livenessProbe?.httpGet?.path, `${at}: liveness path`).toBe('/healthz');
        expect(portNumber(c, c.livenessProbe?.httpGet?.port), `${at}: liveness port`).toBe(port);
        expect(c.readinessProbe?.httpGet?.path, `${at}: readiness path`).toBe('/readyz');
        expect(portNumber(c, c.readinessProbe?.httpGet?.port), `${at}: readiness port`).toBe(port);
        const service = find(layout, 'Service', name)?.spec as { ports: Array<{ port: number }> } | undefined;
        expect(service?.ports.map((p) => p.port), `${at}: Service port`).toEqual([port]);
      }
    }
  });

  it('keeps secrets out of the manifests: passwords and keys only through secretKeyRef, never a literal or a whole Secret', () => {
    for (const layout of layouts) {
      for (const [key, value] of Object.entries(configData(layout))) {
        expect(SECRET_NAME.test(key), `${layout.name} distrag-config holds ${key}`).toBe(false);
        expect(/:\/\/[^/@\s]*:[^/@\s]*@/.test(value), `${layout.name} distrag-config ${key} holds a URL with a password`).toBe(false);
      }
      for (const w of workloads(layout)) {
        for (const c of allContainers(w.pod)) {
          const at = `${layout.name} ${w.name}/${c.name}`;
          expect((c.envFrom ?? []).filter((f) => f.secretRef), `${at}: envFrom a whole Secret`).toEqual([]);
          const fromSecret = new Set((c.env ?? []).filter((v) => v.valueFrom?.secretKeyRef).map((v) => v.name));
          for (const v of c.env ?? []) {
            if (v.value === undefined) continue;
            expect(SECRET_NAME.test(v.name) || credentialNames.has(v.name) ? /\$\(/.test(v.value) : true, `${at}: ${v.name} is a literal`).toBe(true);
            // A URL's password is a variable from a secretKeyRef declared before it.
            const password = /^[a-z]+:\/\/[^/@:]*:([^@]*)@/.exec(v.value)?.[1];
            if (password !== undefined) {
              const name = /^\$\(([A-Za-z0-9_]+)\)$/.exec(password)?.[1];
              expect(name !== undefined && fromSecret.has(name), `${at}: ${v.name}'s password is $(VAR) of a secretKeyRef, not ${password}`).toBe(true);
            }
          }
          for (const value of [...(c.args ?? []), ...(c.command ?? [])]) {
            expect(Object.values(fakeSecrets).some((s) => value.includes(s)) || /:\/\/[^/@\s]*:[^/@\s$]+@/.test(value), `${at}: a secret in args`).toBe(false);
          }
        }
      }
    }
  });

  it('gives each workload exactly its own credentials (src/stack/service-credentials.ts) and only the secret keys they are made of', () => {
    for (const layout of layouts) {
      for (const w of workloads(layout)) {
        const expected = expectedCredentials(layout, w.name);
        const main = w.pod.containers[0]!;
        const env = resolveEnv(layout, main);
        // Variables only there to build another one (`$(DISTRAG_PG_PASSWORD)` in DISTRAG_DATABASE_URL) are not what the process is given.
        const parts = new Set((main.env ?? []).flatMap((v) => [...(v.value ?? '').matchAll(/\$\(([A-Za-z0-9_]+)\)/g)].map((m) => m[1]!)));
        const held = Object.fromEntries(Object.entries(env).filter(([k]) => credentialNames.has(k) && !parts.has(k)).map(([k, v]) => [k, normalize(v)]));
        expect(held, `${layout.name} ${w.name}: credentials`).toEqual(Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, normalize(v)])));
        // The secret keys the pod reads are those whose values its credentials are made of.
        const needed = Object.keys(fakeSecrets).filter((key) => Object.values(expected).some((v) => v.includes(fakeSecrets[key]!))).sort();
        const read = [...new Set(secretKeyRefs(w.pod).map((r) => r.key))].sort();
        expect(read, `${layout.name} ${w.name}: secret keys`).toEqual(needed);
        // Keys that may be missing from secrets.env are the optional API keys only.
        for (const ref of secretKeyRefs(w.pod)) expect(ref.optional === true, `${layout.name} ${w.name}: ${ref.key} optional`).toBe(['GEMINI_API_KEY', 'DISTRAG_LLM_API_KEY', 'DISTRAG_EMBED_API_KEY'].includes(ref.key));
      }
    }
    // In particular (the gateway verifies tokens and signs identities; it holds no database password):
    const gatewayKeys = secretKeyRefs(workload(defaultLayout, 'gateway')!.pod).map((r) => r.key).sort();
    expect(gatewayKeys).toEqual(['DISTRAG_INTERNAL_SECRET', 'DISTRAG_JWT_SECRET']);
  });

  it('gives every DistRAG container an environment that src/config/config.ts accepts', () => {
    for (const layout of layouts) {
      for (const w of workloads(layout)) {
        for (const c of w.pod.containers.filter((x) => x.image === DISTRAG_IMAGE)) {
          const env = resolveEnv(layout, c);
          expect(() => loadConfig(env), `${layout.name} ${w.name}`).not.toThrow();
          expect(env.DISTRAG_HOST, `${layout.name} ${w.name}: binds every interface`).toBe('0.0.0.0');
          expect(Object.values(env).filter((v) => /\$\(/.test(v)), `${layout.name} ${w.name}: unresolved $(VAR)`).toEqual([]);
        }
      }
      const subgraphs = configData(layout).DISTRAG_SUBGRAPHS!.split(',').map((e) => e.split('=') as [string, string]);
      expect(subgraphs.map(([n]) => n).sort(), `${layout.name} DISTRAG_SUBGRAPHS`).toEqual(['cache', 'cluster', 'data', 'rag']);
      for (const [name, url] of subgraphs) expect(url, `${layout.name} DISTRAG_SUBGRAPHS ${name}`).toBe(`http://${name}:${DISTRAG_SERVICES[name]!.port}/graphql`);
    }
  });

  it('runs Citus 13.2 as StatefulSets: a coordinator and 2 workers, each with a volume, pg_isready probes and the node config', () => {
    const layout = defaultLayout;
    const nodes = parseNodeList('DISTRAG_CLUSTER_NODES', configData(layout).DISTRAG_CLUSTER_NODES!);
    const expectedNodes: Array<{ name: string; host: string; port: number }> = [];
    for (const [name, replicas] of [['coordinator', 1], ['worker', 2]] as const) {
      const w = workload(layout, name);
      expect(w?.kind, name).toBe('StatefulSet');
      expect(w!.replicas, `${name} replicas`).toBe(replicas);
      const spec = w!.object.spec as { serviceName: string; ordinals?: { start?: number }; volumeClaimTemplates?: Array<{ metadata: { name: string } }> };
      const c = w!.pod.containers[0]!;
      expect(c.image, name).toBe('citusdata/citus:13.2.0');
      expect(resolveEnv(layout, c).PGDATA, `${name} PGDATA`).toBe('/var/lib/postgresql/data/pgdata');
      const claim = spec.volumeClaimTemplates?.[0]?.metadata.name;
      expect(c.volumeMounts?.find((m) => m.name === claim)?.mountPath, `${name}: its volume`).toBe('/var/lib/postgresql/data');
      for (const probe of [c.readinessProbe, c.livenessProbe]) expect(probe?.exec?.command?.[0], `${name}: pg_isready probes`).toBe('pg_isready');
      expect(c.command, name).toEqual(['/bin/sh', '/etc/distrag/node-entrypoint.sh']);
      expect(c.args, name).toEqual(['postgres', '-c', 'config_file=/etc/distrag/postgresql.conf']);
      const config = w!.pod.volumes?.find((v) => v.configMap?.name === 'citus-node-config')?.name;
      expect(c.volumeMounts?.find((m) => m.name === config && !m.subPath)?.mountPath, `${name}: node config`).toBe('/etc/distrag');
      expect(c.volumeMounts?.find((m) => m.subPath === '999-distrag-init-done.sh')?.mountPath, name).toBe('/docker-entrypoint-initdb.d/999-distrag-init-done.sh');
      // The names the Citus metadata and the backups give the nodes, at the pods' DNS names.
      if (name === 'coordinator') expectedNodes.push({ name: 'coordinator', host: spec.serviceName, port: 5432 });
      else {
        const start = spec.ordinals?.start ?? 0;
        for (let i = 0; i < replicas; i++) expectedNodes.push({ name: `worker-${i + 1}`, host: `${name}-${start + i}.${spec.serviceName}`, port: 5432 });
      }
    }
    expect(nodes, 'DISTRAG_CLUSTER_NODES').toEqual(expectedNodes);
    expect(parseNodeList('DISTRAG_BACKUP_NODES', configData(layout).DISTRAG_BACKUP_NODES!), 'DISTRAG_BACKUP_NODES').toEqual(expectedNodes);
    expect(configData(layout).DISTRAG_DB_HOST, 'DISTRAG_DB_HOST').toBe(expectedNodes[0]!.host);
  });

  it('gives the Citus nodes the settings of docker/postgres/ (copies kept equal), with a pg_hba.conf for pod networks', () => {
    const files = defaultLayout.generatedConfigMaps.get('citus-node-config') ?? [];
    expect(files.map((f) => path.basename(f)).sort()).toEqual(['999-distrag-init-done.sh', 'node-entrypoint.sh', 'pg_hba.conf', 'postgresql.conf']);
    for (const file of files.filter((f) => path.basename(f) !== 'pg_hba.conf')) {
      expect(fs.readFileSync(file, 'utf8'), `${rel(file)} differs from docker/postgres/${path.basename(file)}: copy it again`).toBe(fs.readFileSync(path.join(root, 'docker/postgres', path.basename(file)), 'utf8'));
    }
    const conf = fs.readFileSync(files.find((f) => path.basename(f) === 'postgresql.conf')!, 'utf8');
    expect(conf).toMatch(/^hba_file = '\/etc\/distrag\/pg_hba\.conf'/m);
    expect(conf).toMatch(new RegExp(`^synchronous_standby_names = '${WAL_RECEIVER_APPLICATION}'`, 'm'));
    const hba = fs.readFileSync(files.find((f) => path.basename(f) === 'pg_hba.conf')!, 'utf8').split('\n').filter((l) => /^\s*host/.test(l)).map((l) => l.trim().split(/\s+/));
    expect(hba.every((fields) => fields.at(-1) === 'scram-sha-256'), 'every TCP connection with a password').toBe(true);
    expect(hba.some((fields) => fields[1] === 'replication'), 'replication connections (feed, backup)').toBe(true);
    expect(hba.some((fields) => fields.includes('samenet')), 'samenet does not match pods on other nodes').toBe(false);
  });

  it('runs one backup process (synchronous WAL: the nodes wait for it): a single replica, Recreate, its volume, uid 999', () => {
    const w = workload(defaultLayout, 'backup')!;
    expect(w.replicas).toBe(1);
    expect((w.object.spec as { strategy?: { type?: string } }).strategy?.type).toBe('Recreate');
    const c = w.pod.containers[0]!;
    const volume = c.volumeMounts?.find((m) => m.mountPath === '/var/lib/distrag/backups')?.name;
    expect(w.pod.volumes?.find((v) => v.name === volume)?.persistentVolumeClaim?.claimName, 'backups on a PersistentVolumeClaim').toBeDefined();
    expect(c.securityContext?.runAsUser ?? w.pod.securityContext?.runAsUser).toBe(999);
    const env = resolveEnv(defaultLayout, c);
    expect(env.DISTRAG_BACKUP_SYNC).toBe('on');
    expect(env.DISTRAG_PG_BIN).toBe('/usr/lib/postgresql/17/bin');
  });

  it('puts 2+ gateways behind an ingress-nginx Ingress: /graphql, /console, /healthz, /readyz, long timeouts for subscriptions, retries before sending only', () => {
    for (const layout of layouts) {
      expect(workload(layout, 'gateway')!.replicas, `${layout.name} gateway replicas`).toBeGreaterThanOrEqual(2);
      const ingress = objectsOf(layout, 'Ingress');
      expect(ingress.length, layout.name).toBe(1);
      const spec = ingress[0]!.spec as { ingressClassName?: string; rules: Array<{ http: { paths: Array<{ path: string; backend: { service: { name: string } } }> } }> };
      expect(spec.ingressClassName).toBe('nginx');
      const paths = spec.rules.flatMap((r) => r.http.paths);
      expect(paths.map((p) => p.path).sort()).toEqual(['/console', '/graphql', '/healthz', '/readyz']);
      for (const p of paths) expect(p.backend.service.name, p.path).toBe('gateway');
      const annotations = (ingress[0]!.metadata as { annotations: Record<string, string> }).annotations;
      // Above the graphql-ws keep-alive ping interval (DISTRAG_WS_PING_MS, default 15 s).
      const pingSeconds = loadConfig({}).DISTRAG_WS_PING_MS / 1000;
      for (const key of ['proxy-read-timeout', 'proxy-send-timeout']) {
        const seconds = Number(annotations[`nginx.ingress.kubernetes.io/${key}`]);
        expect(seconds, key).toBeGreaterThanOrEqual(3600);
        expect(seconds, key).toBeGreaterThan(pingSeconds);
      }
      expect(annotations['nginx.ingress.kubernetes.io/proxy-next-upstream']?.split(/\s+/).sort()).toEqual(['error', 'http_502', 'http_503', 'timeout']);
    }
  });

  it('external-citus overlay: no Citus StatefulSet, no backup process, every connection to the external coordinator', () => {
    const layout = layouts.find((l) => l.name === 'overlays/external-citus');
    expect(layout).toBeDefined();
    expect(objectsOf(layout!, 'StatefulSet')).toEqual([]);
    expect(workload(layout!, 'backup')).toBeUndefined();
    expect(layout!.generatedConfigMaps.has('citus-node-config')).toBe(false);
    const config = configData(layout!);
    expect(find(layout!, 'Service', config.DISTRAG_DB_HOST!), 'DISTRAG_DB_HOST is outside the cluster').toBeUndefined();
    expect(parseNodeList('DISTRAG_CLUSTER_NODES', config.DISTRAG_CLUSTER_NODES!)[0]).toMatchObject({ name: 'coordinator', host: config.DISTRAG_DB_HOST, port: Number(config.DISTRAG_DB_PORT) });
    for (const w of workloads(layout!)) {
      for (const [key, value] of Object.entries(resolveEnv(layout!, w.pod.containers[0]!))) {
        if (/^postgres(ql)?:\/\//.test(value)) expect(new URL(value).hostname, `${w.name} ${key}`).toBe(config.DISTRAG_DB_HOST);
      }
    }
  });

  it('makes the Secret from secrets.env, which is never committed; secrets.env.example lists every key the manifests read, empty', () => {
    const generators = kustomizationDirs.flatMap((dir) => (kustomizationOf(dir).secretGenerator ?? []).map((g) => ({ dir, g })));
    expect(generators.map(({ dir, g }) => ({ dir: rel(dir), name: g.name, envs: g.envs, files: g.files, literals: g.literals }))).toEqual([
      { dir: 'deploy/kubernetes/base', name: 'distrag-secrets', envs: ['secrets.env'], files: undefined, literals: undefined },
    ]);
    const secretsEnv = path.join(k8sRoot, 'base/secrets.env');
    const tracked = spawnSync('git', ['ls-files', '--', 'deploy/kubernetes'], { cwd: root, encoding: 'utf8' });
    expect(tracked.status).toBe(0);
    expect(tracked.stdout.split('\n').filter((f) => path.basename(f) === 'secrets.env'), 'secrets.env is committed').toEqual([]);
    expect(spawnSync('git', ['check-ignore', '-q', rel(secretsEnv)], { cwd: root }).status, 'secrets.env is ignored by git').toBe(0);
    expect(new Set(exampleKeys).size, 'each key once').toBe(exampleKeys.length);
    expect(exampleLines.filter((l) => l.slice(l.indexOf('=') + 1).trim() !== ''), 'the example holds no value').toEqual([]);
    const referenced = new Set(layouts.flatMap((layout) => workloads(layout).flatMap((w) => secretKeyRefs(w.pod).map((r) => r.key))));
    expect([...referenced].sort()).toEqual([...exampleKeys].sort());
    for (const role of ALL_SERVICE_DB_ROLES) expect(exampleKeys, `the ${role} password (npx distrag db-credentials)`).toContain(passwordVariable(role));
  });

  it.skipIf(!hasKubectl)('renders with kustomize (kubectl kustomize): every layout, hashed Secret and ConfigMap names everywhere', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distrag-k8s-'));
    try {
      fs.cpSync(k8sRoot, path.join(tmp, 'kubernetes'), { recursive: true });
      fs.writeFileSync(path.join(tmp, 'kubernetes/base/secrets.env'), exampleKeys.map((k) => `${k}=${fakeSecrets[k]}\n`).join(''));
      for (const layout of layouts) {
        const dir = path.join(tmp, 'kubernetes', path.relative(k8sRoot, layout.dir));
        const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
        expect(run.status, `kubectl kustomize ${layout.name}: ${run.stderr}`).toBe(0);
        const rendered = parseAllDocuments(run.stdout).map((d) => d.toJS() as KubeObject);
        const generated = new Set([...layout.generatedConfigMaps.keys(), ...layout.generatedSecrets.keys()]);
        const unhash = (o: KubeObject) => {
          const name = String(o.metadata?.name);
          const base = name.replace(/-[a-z0-9]{10}$/, '');
          return `${String(o.kind)}/${generated.has(base) ? base : name}`;
        };
        const mine = [...layout.objects.map((o) => `${String(o.kind)}/${String(o.metadata?.name)}`), ...[...layout.generatedConfigMaps.keys()].map((n) => `ConfigMap/${n}`), ...[...layout.generatedSecrets.keys()].map((n) => `Secret/${n}`)];
        expect(rendered.map(unhash).sort(), `${layout.name}: the objects this test reads`).toEqual(mine.sort());
        const secretName = String(rendered.find((o) => o.kind === 'Secret')?.metadata?.name);
        expect(secretName).toMatch(/^distrag-secrets-[a-z0-9]{10}$/);
        for (const o of rendered) if (o.kind !== 'Namespace') expect((o.metadata as { namespace?: string }).namespace, unhash(o)).toBe('distrag');
        const text = run.stdout;
        expect(text.match(/name: distrag-secrets(-[a-z0-9]+)?$/gm)?.every((m) => m.endsWith(secretName)), 'every secretKeyRef names the hashed Secret').toBe(true);
        expect(text.match(/^\s+image: .*$/gm)?.map((m) => m.trim()).filter((m) => m.endsWith(' distrag') || m.includes('latest')), 'images after kustomize').toEqual([]);
        expect(text).toContain('image: distrag:local');
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  if (!hasKubectl) console.warn('kubernetes-manifests: kubectl is not installed, so `kubectl kustomize` was not run (the static checks above were)');
});
