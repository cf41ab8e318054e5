// The rest of the deployment, checked by the real tools:
// - Terraform: `terraform fmt -check`, checkov with no failed check and a reason on every
//   suppression, and the properties the runbooks rely on (Multi-AZ, PITR, deletion protection,
//   remote state with locking, cross-region backup copies, budgets, cost tags);
// - the GitHub Actions workflows: actionlint, every action pinned by commit SHA, and least-privilege
//   permissions declared;
// - the Dockerfile: hadolint, and a structural check (below) of what each image must be.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DOCKERFILE_PATH, dockerStages, imageInstructions } from '../scripts/dockerfile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const INFRA = join(ROOT, 'infra');
const ENVIRONMENTS = ['dev', 'staging', 'production'] as const;
const IMAGES = ['engine', 'gateway', 'settlement', 'web'] as const;
const TOOLS_TIMEOUT_MS = 30 * 60_000;

let toolsDir = '';

function run(command: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function terraformFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.tf') && !file.includes('.terraform'))
    .map((file) => join(directory, file));
}

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** The body of one resource block, `resource "TYPE" "NAME" { ... }`, by brace matching. */
function resourceBlock(text: string, type: string, name: string): string {
  const start = text.indexOf(`resource "${type}" "${name}" {`);
  expect(start, `resource ${type}.${name}`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = text.indexOf('{', start); i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    if (text[i] === '}') depth -= 1;
    if (depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unterminated resource ${type}.${name}`);
}

beforeAll(() => {
  const output = execFileSync('bash', [join(ROOT, 'scripts', 'deploy-tools.sh')], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: TOOLS_TIMEOUT_MS });
  toolsDir = output.trim().split('\n').at(-1) as string;
}, TOOLS_TIMEOUT_MS);

describe('terraform', () => {
  it('terraform fmt -check -recursive passes', () => {
    const result = run('terraform', ['fmt', '-check', '-recursive', INFRA]);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('checkov finds no failed check, and every suppression carries a reason', () => {
    const result = run(join(toolsDir, 'bin', 'checkov'), ['-d', INFRA, '--framework', 'terraform', '--skip-download', '--output', 'json']);
    const report = JSON.parse(result.stdout) as {
      results: { passed_checks: unknown[]; failed_checks: Array<{ check_id: string; resource: string }>; skipped_checks: Array<{ check_id: string; resource: string; check_result: { suppress_comment?: string } }> };
    };
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.results.passed_checks.length).toBeGreaterThan(100);
    for (const skipped of report.results.skipped_checks) {
      const reason = (skipped.check_result.suppress_comment ?? '').trim();
      expect(reason.split(/\s+/).length, `${skipped.check_id} on ${skipped.resource}: a reason of a few words`).toBeGreaterThanOrEqual(5);
    }
    expect(result.status).toBe(0);
  });

  it.each(ENVIRONMENTS)('%s is its own root module with remote state in S3, DynamoDB locking and cost tags', (environment) => {
    const text = read(`infra/environments/${environment}/main.tf`);
    expect(text).toMatch(/backend "s3" \{[^}]*key\s+= "[a-z]+\/terraform\.tfstate"/s);
    expect(text).toMatch(/dynamodb_table\s+= "play-chacha-terraform-locks"/);
    expect(text).toMatch(/encrypt\s+= true/);
    expect(text).toContain(`environment = "${environment}"`);
    for (const tag of ['Project', 'Environment', 'CostCenter']) expect(text).toMatch(new RegExp(`${tag}\\s+=`));
    expect(text.match(/default_tags/g)?.length).toBe(3);
    expect(text).toContain('source = "../../modules/stack"');
    // Three availability zones, and a disaster-recovery region different from the primary.
    const zones = /availability_zones = \[([^\]]+)\]/.exec(text)?.[1]?.split(',') ?? [];
    expect(zones).toHaveLength(3);
    const regions = [...text.matchAll(/region\s+= "([a-z0-9-]+)"/g)].map((match) => match[1]);
    expect(new Set(regions).size).toBeGreaterThanOrEqual(3);
  });

  // `terraform validate` needs the providers, which cannot be fetched here; `terraform get` and
  // `terraform providers` load the whole configuration offline: every module source resolves,
  // every module gets the provider aliases it declares, and the requirements are consistent.
  it.each(ENVIRONMENTS)('%s loads offline: modules resolve and providers are wired', (environment) => {
    const copy = mkdtempSync(join(tmpdir(), 'play-chacha-infra-'));
    try {
      cpSync(INFRA, copy, { recursive: true, filter: (source) => !source.includes('.terraform') && !source.endsWith('.test.ts') });
      const root = join(copy, 'environments', environment);
      // The S3 backend would need credentials to initialise; the configuration is what is checked.
      const main = readFileSync(join(root, 'main.tf'), 'utf8');
      const withoutBackend = main.replace(/\n {2}backend "s3" \{[^}]*\}\n/, '\n');
      expect(withoutBackend).not.toBe(main);
      writeFileSync(join(root, 'main.tf'), withoutBackend);
      const get = run('terraform', [`-chdir=${root}`, 'get', '-no-color']);
      expect(get.stderr).not.toMatch(/Error/);
      expect(get.status).toBe(0);
      const providers = run('terraform', [`-chdir=${root}`, 'providers', '-no-color']);
      expect(providers.status, providers.stderr).toBe(0);
      for (const module of ['network', 'eks', 'rds', 'memorydb', 'waf', 'cdn', 'backup', 'kms_replica', 'kms_us_east_1']) {
        expect(providers.stdout).toContain(`module.${module}`);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('the state backend the environments name is the one bootstrap creates', () => {
    const bootstrap = read('infra/bootstrap/main.tf');
    expect(bootstrap).toMatch(/default\s+= "play-chacha-terraform-locks"/);
    expect(bootstrap).toMatch(/hash_key\s+= "LockID"/);
    expect(resourceBlock(bootstrap, 'aws_s3_bucket_versioning', 'state')).toContain('"Enabled"');
    expect(resourceBlock(bootstrap, 'aws_s3_bucket_server_side_encryption_configuration', 'state')).toContain('aws:kms');
  });

  it('PostgreSQL is Multi-AZ, encrypted, with PITR backups, deletion protection and cross-region copies', () => {
    const rds = read('infra/modules/rds/main.tf');
    const instance = resourceBlock(rds, 'aws_db_instance', 'this');
    expect(instance).toMatch(/multi_az\s+= true/);
    expect(instance).toMatch(/storage_encrypted\s+= true/);
    expect(instance).toMatch(/deletion_protection\s+= true/);
    expect(instance).toMatch(/backup_retention_period\s+= var\.backup_retention_days/);
    expect(instance).toMatch(/publicly_accessible\s+= false/);
    expect(Number(/variable "backup_retention_days" \{[^}]*default = (\d+)/s.exec(rds)?.[1])).toBeGreaterThanOrEqual(7);
    expect(resourceBlock(rds, 'aws_db_instance_automated_backups_replication', 'this')).toContain('provider               = aws.replica');
    const backup = read('infra/modules/backup/main.tf');
    expect(backup.match(/copy_action \{/g)?.length).toBe(2);
  });

  it('the journal is MemoryDB with TLS, encryption, replicas and snapshots, and the docs say why', () => {
    const memorydb = resourceBlock(read('infra/modules/memorydb/main.tf'), 'aws_memorydb_cluster', 'this');
    expect(memorydb).toMatch(/tls_enabled\s+= true/);
    expect(memorydb).toMatch(/kms_key_arn\s+= var\.kms_key_arn/);
    expect(memorydb).toMatch(/num_replicas_per_shard\s+= var\.replicas_per_shard/);
    expect(memorydb).toMatch(/snapshot_retention_limit\s+= var\.snapshot_retention_days/);
    expect(read('docs/deployment.md')).toMatch(/MemoryDB[\s\S]{0,400}transaction log/);
  });

  it('every module an environment uses exists, and the stack wires all of them', () => {
    const stack = read('infra/modules/stack/main.tf');
    const sources = [...stack.matchAll(/source\s+= "\.\.\/([a-z-]+)"/g)].map((match) => match[1] as string);
    for (const module of ['network', 'kms', 'eks', 'rds', 'memorydb', 'secrets', 'ecr', 'waf', 'cdn', 'backup', 'budget']) {
      expect(sources).toContain(module);
      expect(existsSync(join(INFRA, 'modules', module, 'main.tf'))).toBe(true);
    }
    expect(terraformFiles(INFRA).length).toBeGreaterThan(15);
  });
});

describe('GitHub Actions workflows', () => {
  const directory = join(ROOT, '.github', 'workflows');
  const workflows = readdirSync(directory).filter((file) => file.endsWith('.yml') || file.endsWith('.yaml'));

  it('actionlint passes', () => {
    const result = run(join(toolsDir, 'bin', 'actionlint'), ['-no-color', ...workflows.map((file) => join(directory, file))]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.each(workflows)('%s pins every action by commit SHA and declares least-privilege permissions', (file) => {
    const text = readFileSync(join(directory, file), 'utf8');
    const uses = [...text.matchAll(/uses:\s*([^\s#]+)/g)].map((match) => match[1] as string);
    expect(uses.length).toBeGreaterThan(0);
    for (const action of uses) expect(action, file).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
    const workflow = parse(text) as { permissions?: Record<string, string>; jobs: Record<string, { permissions?: Record<string, string> }> };
    expect(workflow.permissions, `${file}: top-level permissions`).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        // Write access only where a job needs it: an OIDC token to push images.
        if (level === 'write') expect(`${name}:${scope}`).toBe('build:id-token');
      }
    }
  });

  it('the workflows lint, typecheck, test, audit, scan and build the images', () => {
    const all = workflows.map((file) => readFileSync(join(directory, file), 'utf8')).join('\n');
    for (const step of ['npx tsc -b', 'npx eslint .', 'npm test', 'npm audit', 'checkov', 'hadolint', 'actionlint', 'terraform fmt -check', 'docker/build-push-action']) {
      expect(all).toContain(step);
    }
    for (const image of IMAGES) expect(all).toContain(image);
  });
});

// The Dockerfile structural check: what hadolint does not enforce but every image must have. The
// root Dockerfile has one target per image; a target's final stage is the chain of stages it is
// built FROM (a stage may start FROM an earlier stage, whose instructions it inherits).
//   - multi-stage, every base image pinned to an exact version (never latest or a bare major);
//   - the image runs as a numeric non-root user, set before its CMD;
//   - a HEALTHCHECK (NONE only for an image that exposes no port);
//   - no ENV or ARG that looks like a secret, and no secret files copied;
//   - COPY in the image's stages sets the owner (--chown), so nothing is owned by root by accident.
describe('Dockerfile', () => {
  it('hadolint passes on it', () => {
    const result = run(join(toolsDir, 'bin', 'hadolint'), [DOCKERFILE_PATH]);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('pins every base image and keeps secrets out of every stage', () => {
    const stages = dockerStages();
    expect(stages.length, 'multi-stage').toBeGreaterThanOrEqual(2);
    const names = new Set(stages.map((stage) => stage.name));
    for (const stage of stages) {
      if (!names.has(stage.from)) expect(stage.lines[0], 'pinned base').toMatch(/^FROM [\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?( AS [\w-]+)?$/);
      for (const line of stage.lines.filter((l) => /^(ENV|ARG) /.test(l))) expect(line, 'secret in ENV/ARG').not.toMatch(/SECRET|PASSWORD|TOKEN|PRIVATE|_KEY|DATABASE_URL|REDIS_URL/i);
      for (const copy of stage.lines.filter((line) => line.startsWith('COPY '))) expect(copy).not.toMatch(/\.env|\.pem|\.key|id_rsa/);
    }
  });

  it.each(IMAGES)('target %s passes the structural check', (image) => {
    const chain = imageInstructions(image);
    const user = chain.find((line) => line.startsWith('USER '));
    expect(user, 'USER in the image').toBeDefined();
    const uid = Number(/^USER (\d+)/.exec(user as string)?.[1]);
    expect(uid).toBeGreaterThanOrEqual(10000);
    const cmdIndex = chain.findIndex((line) => line.startsWith('CMD '));
    expect(cmdIndex).toBeGreaterThan(chain.indexOf(user as string));
    const healthcheck = chain.find((line) => line.startsWith('HEALTHCHECK '));
    expect(healthcheck, 'HEALTHCHECK').toBeDefined();
    if (healthcheck === 'HEALTHCHECK NONE') expect(chain.some((line) => line.startsWith('EXPOSE '))).toBe(false);
    else expect(healthcheck).toMatch(/CMD \[/);
    for (const copy of chain.filter((line) => line.startsWith('COPY '))) expect(copy).toMatch(/--chown=\d+:\d+/);
  });

  it('.dockerignore keeps dependencies, local data, history and secrets out of the build context', () => {
    const entries = read('.dockerignore').split('\n').map((line) => line.trim());
    for (const entry of ['**/node_modules', '.data', '.git', '.env', '.env.*', '**/*.pem', '**/*.key']) expect(entries).toContain(entry);
  });
});
