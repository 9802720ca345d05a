// Where the API server is and how to authenticate to it: kubeconfig files (merged as kubectl
// merges KUBECONFIG), or the in-cluster service account. The REST client asks this module for
// the server URL and for the TLS options and Authorization header of each request; nothing else
// in the package reads credentials. (Replaces @kubernetes/client-node's KubeConfig, whose module
// loads the whole generated API client: ~28 MiB of heap in every controller.)
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import * as path from 'node:path';
import type * as https from 'node:https';

/** What the REST client needs from a cluster's configuration. A client-node KubeConfig has the same shape (tests pass one). */
export interface KubeAccess {
  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string | undefined } | null;
  /** Puts the CA, client certificate, TLS checks and Authorization header of the next request into `opts`. */
  applyToHTTPSOptions(opts: https.RequestOptions): Promise<void>;
  /** The server answered 401: drop cached credentials. Resolves true when a retry may succeed. */
  onUnauthorized?(): Promise<boolean>;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ExecConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly apiVersion: string;
  readonly provideClusterInfo: boolean;
}

export interface ResolvedCluster {
  readonly server: string;
  /** PEM. */
  readonly ca?: string;
  readonly insecureSkipTlsVerify: boolean;
  readonly tlsServerName?: string;
  readonly proxyUrl?: string;
}

export interface ResolvedUser {
  readonly token?: string;
  /** Re-read when it changes (bound service account tokens rotate). */
  readonly tokenFile?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  readonly username?: string;
  readonly password?: string;
  readonly exec?: ExecConfig;
}

export interface ResolvedKubeconfig {
  readonly contextName: string;
  readonly cluster: ResolvedCluster;
  readonly user: ResolvedUser;
  /** The context's namespace, when it names one. */
  readonly namespace?: string;
}

/** One parsed kubeconfig file and the directory its relative paths are resolved against. */
export interface KubeconfigDocument {
  readonly dir: string;
  readonly content: unknown;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeconfigError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Named entries (clusters, users, contexts) of all documents: the first document that names one wins. */
function named(docs: readonly KubeconfigDocument[], list: string, field: string): Map<string, { readonly dir: string; readonly value: Obj }> {
  const out = new Map<string, { dir: string; value: Obj }>();
  for (const doc of docs) {
    if (!isObj(doc.content)) continue;
    const entries = doc.content[list];
    if (!Array.isArray(entries)) continue;
    for (const e of entries) {
      if (!isObj(e)) continue;
      const name = str(e, 'name');
      const value = e[field];
      if (name === undefined || !isObj(value) || out.has(name)) continue;
      out.set(name, { dir: doc.dir, value });
    }
  }
  return out;
}

function resolvePath(dir: string, p: string): string {
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2));
  return path.resolve(dir, p);
}

type ReadFile = (file: string) => string;

/** `<field>-data` (base64) or `<field>` (a file, relative to the kubeconfig's directory). */
function dataOrFile(o: Obj, field: string, dir: string, read: ReadFile, where: string): string | undefined {
  const data = str(o, `${field}-data`);
  if (data !== undefined) return Buffer.from(data, 'base64').toString('utf8');
  const file = str(o, field);
  if (file === undefined) return undefined;
  try {
    return read(resolvePath(dir, file));
  } catch (e) {
    throw new KubeconfigError(`${where}.${field}: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function parseExec(o: Obj, dir: string, where: string): ExecConfig {
  const command = str(o, 'command');
  if (command === undefined) throw new KubeconfigError(`${where}.exec.command is missing`);
  const args = Array.isArray(o['args']) ? o['args'].filter((a): a is string => typeof a === 'string') : [];
  const env = Array.isArray(o['env'])
    ? o['env'].filter(isObj).map((e) => ({ name: String(e['name'] ?? ''), value: String(e['value'] ?? '') })).filter((e) => e.name !== '')
    : [];
  return {
    // kubectl: a command with a path separator is relative to the kubeconfig; a bare name is looked up in PATH.
    command: command.includes('/') ? resolvePath(dir, command) : command,
    args,
    env,
    apiVersion: str(o, 'apiVersion') ?? 'client.authentication.k8s.io/v1',
    provideClusterInfo: o['provideClusterInfo'] === true,
  };
}

/**
 * Resolves the current (or the given) context of merged kubeconfig documents: kubectl's merge,
 * where the first document that sets a value wins (current-context, each named cluster, user
 * and context). Pure apart from reading the certificate files the documents name (`read`).
 */
export function resolveKubeconfig(docs: readonly KubeconfigDocument[], opts: { readonly context?: string; readonly read?: ReadFile } = {}): ResolvedKubeconfig {
  const read = opts.read ?? ((f: string) => readFileSync(f, 'utf8'));
  let current = opts.context;
  for (const doc of docs) {
    if (current !== undefined) break;
    if (isObj(doc.content)) current = str(doc.content, 'current-context');
  }
  if (current === undefined) throw new KubeconfigError('no current-context is set');
  const context = named(docs, 'contexts', 'context').get(current);
  if (!context) throw new KubeconfigError(`context "${current}" is not defined`);
  const clusterName = str(context.value, 'cluster');
  if (clusterName === undefined) throw new KubeconfigError(`context "${current}" names no cluster`);
  const clusterEntry = named(docs, 'clusters', 'cluster').get(clusterName);
  if (!clusterEntry) throw new KubeconfigError(`cluster "${clusterName}" (of context "${current}") is not defined`);
  const c = clusterEntry.value;
  const server = str(c, 'server');
  if (server === undefined) throw new KubeconfigError(`cluster "${clusterName}" has no server`);
  const cwhere = `clusters[${clusterName}]`;
  const ca = dataOrFile(c, 'certificate-authority', clusterEntry.dir, read, cwhere);
  const tlsServerName = str(c, 'tls-server-name');
  const proxyUrl = str(c, 'proxy-url');
  const cluster: ResolvedCluster = {
    server: server.replace(/\/+$/, ''),
    ...(ca !== undefined ? { ca } : {}),
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    ...(tlsServerName !== undefined ? { tlsServerName } : {}),
    ...(proxyUrl !== undefined ? { proxyUrl } : {}),
  };

  const userName = str(context.value, 'user');
  let user: ResolvedUser = {};
  if (userName !== undefined) {
    const userEntry = named(docs, 'users', 'user').get(userName);
    if (!userEntry) throw new KubeconfigError(`user "${userName}" (of context "${current}") is not defined`);
    const u = userEntry.value;
    const uwhere = `users[${userName}]`;
    if (u['auth-provider'] !== undefined) {
      const provider = isObj(u['auth-provider']) ? str(u['auth-provider'], 'name') : undefined;
      throw new KubeconfigError(`${uwhere}.auth-provider${provider ? ` (${provider})` : ''} is not supported: use an exec credential plugin (users[].user.exec), a token or a client certificate`);
    }
    const token = str(u, 'token');
    const tokenFile = str(u, 'tokenFile');
    const clientCertificate = dataOrFile(u, 'client-certificate', userEntry.dir, read, uwhere);
    const clientKey = dataOrFile(u, 'client-key', userEntry.dir, read, uwhere);
    if ((clientCertificate === undefined) !== (clientKey === undefined)) {
      throw new KubeconfigError(`${uwhere}: client-certificate and client-key go together`);
    }
    const username = str(u, 'username');
    const password = str(u, 'password');
    user = {
      ...(token !== undefined ? { token } : {}),
      ...(token === undefined && tokenFile !== undefined ? { tokenFile: resolvePath(userEntry.dir, tokenFile) } : {}),
      ...(clientCertificate !== undefined && clientKey !== undefined ? { clientCertificate, clientKey } : {}),
      ...(username !== undefined ? { username, password: password ?? '' } : {}),
      ...(isObj(u['exec']) ? { exec: parseExec(u['exec'], userEntry.dir, uwhere) } : {}),
    };
  }
  const namespace = str(context.value, 'namespace');
  return { contextName: current, cluster, user, ...(namespace !== undefined ? { namespace } : {}) };
}

/** The in-cluster configuration from the Pod's environment and service account volume. */
export function inClusterConfig(env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR, read: ReadFile = (f) => readFileSync(f, 'utf8')): ResolvedKubeconfig {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (!host || !port) throw new KubeconfigError('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
  let ca: string;
  try {
    ca = read(path.join(dir, 'ca.crt'));
  } catch (e) {
    throw new KubeconfigError(`in-cluster: cannot read ${path.join(dir, 'ca.crt')}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    contextName: 'inCluster',
    cluster: { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, ca, insecureSkipTlsVerify: false },
    user: { tokenFile: path.join(dir, 'token') },
  };
}

const requireCjs = createRequire(import.meta.url);

function parseYamlFile(file: string): KubeconfigDocument {
  const text = readFileSync(file, 'utf8');
  // Loaded on use: in a Pod (in-cluster) no YAML is read at all.
  const yaml = requireCjs('yaml') as typeof import('yaml');
  let content: unknown;
  try {
    content = yaml.parse(text);
  } catch (e) {
    throw new KubeconfigError(`${file}: not YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { dir: path.dirname(path.resolve(file)), content };
}

export interface LoadOptions {
  /** --kubeconfig: this file only. */
  readonly file?: string;
  readonly context?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly home?: string;
  readonly serviceAccountDir?: string;
}

/**
 * Where a client finds its cluster, as client-node's loadFromDefault did: the given file; else
 * KUBECONFIG (a list, merged; missing files skipped); else ~/.kube/config; else in-cluster.
 */
export function loadKubeconfig(opts: LoadOptions = {}): ResolvedKubeconfig {
  const env = opts.env ?? process.env;
  const fromFiles = (files: readonly string[]): ResolvedKubeconfig =>
    resolveKubeconfig(files.map(parseYamlFile), opts.context !== undefined ? { context: opts.context } : {});
  if (opts.file !== undefined) return fromFiles([opts.file]);
  const list = (env['KUBECONFIG'] ?? '').split(path.delimiter).filter((f) => f !== '');
  if (list.length > 0) {
    const present = list.filter((f) => exists(f));
    if (present.length === 0) throw new KubeconfigError(`none of the KUBECONFIG files exist: ${list.join(path.delimiter)}`);
    return fromFiles(present);
  }
  const home = opts.home ?? env['HOME'] ?? homedir();
  const fallback = path.join(home, '.kube', 'config');
  if (exists(fallback)) return fromFiles([fallback]);
  if (env['KUBERNETES_SERVICE_HOST']) return inClusterConfig(env, opts.serviceAccountDir);
  throw new KubeconfigError(`no kubeconfig: KUBECONFIG is not set, ${fallback} does not exist and this is not a Pod (no KUBERNETES_SERVICE_HOST)`);
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** What an exec credential plugin printed (ExecCredential.status). */
export interface ExecCredentialStatus {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  /** Epoch ms; undefined: valid until the server refuses it. */
  readonly expiresAt?: number;
}

export function parseExecCredential(stdout: string, command: string): ExecCredentialStatus {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new KubeconfigError(`exec plugin ${command}: its output is not JSON`);
  }
  if (!isObj(doc) || doc['kind'] !== 'ExecCredential' || !isObj(doc['status'])) {
    throw new KubeconfigError(`exec plugin ${command}: its output is not an ExecCredential with a status`);
  }
  const s = doc['status'];
  const token = str(s, 'token');
  const clientCertificateData = str(s, 'clientCertificateData');
  const clientKeyData = str(s, 'clientKeyData');
  if (token === undefined && (clientCertificateData === undefined || clientKeyData === undefined)) {
    throw new KubeconfigError(`exec plugin ${command}: status has neither a token nor clientCertificateData and clientKeyData`);
  }
  const exp = str(s, 'expirationTimestamp');
  const expiresAt = exp !== undefined ? Date.parse(exp) : undefined;
  return {
    ...(token !== undefined ? { token } : {}),
    ...(clientCertificateData !== undefined && clientKeyData !== undefined ? { clientCertificateData, clientKeyData } : {}),
    ...(expiresAt !== undefined && !Number.isNaN(expiresAt) ? { expiresAt } : {}),
  };
}

/** Runs the plugin (no shell) and reads its ExecCredential. */
function runExec(exec: ExecConfig, cluster: ResolvedCluster, baseEnv: NodeJS.ProcessEnv): Promise<ExecCredentialStatus> {
  const info = {
    apiVersion: exec.apiVersion,
    kind: 'ExecCredential',
    spec: {
      interactive: false,
      ...(exec.provideClusterInfo
        ? {
            cluster: {
              server: cluster.server,
              ...(cluster.tlsServerName !== undefined ? { 'tls-server-name': cluster.tlsServerName } : {}),
              ...(cluster.ca !== undefined ? { 'certificate-authority-data': Buffer.from(cluster.ca).toString('base64') } : {}),
              'insecure-skip-tls-verify': cluster.insecureSkipTlsVerify,
            },
          }
        : {}),
    },
  };
  const env: NodeJS.ProcessEnv = { ...baseEnv, KUBERNETES_EXEC_INFO: JSON.stringify(info) };
  for (const e of exec.env) env[e.name] = e.value;
  return new Promise((resolve, reject) => {
    execFile(exec.command, [...exec.args], { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) {
        reject(new KubeconfigError(`exec plugin ${exec.command} failed: ${err.message.split('\n')[0] ?? ''}${stderr ? `: ${String(stderr).trim().slice(0, 500)}` : ''}`));
        return;
      }
      try {
        resolve(parseExecCredential(String(stdout), exec.command));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Credentials handed out within this margin of their expiry are fetched again first. */
const EXPIRY_MARGIN_MS = 10_000;

/**
 * A loaded configuration the REST client uses (KubeAccess): static credentials as loaded, token
 * files re-read when they change, exec plugins run on first use and again when their credential
 * expires or the server answers 401.
 */
export class KubeClientConfig implements KubeAccess {
  private tokenFileCache: { readonly key: string; readonly token: string } | undefined;
  private execCache: ExecCredentialStatus | undefined;
  private execRunning: Promise<ExecCredentialStatus> | undefined;

  constructor(
    readonly resolved: ResolvedKubeconfig,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    const proxy = resolved.cluster.proxyUrl;
    if (proxy !== undefined && !proxy.startsWith('http://')) {
      throw new KubeconfigError(`clusters[].cluster.proxy-url ${proxy.replace(/\/\/[^@/]*@/, '//…@')}: only http:// proxies (HTTP CONNECT) are supported`);
    }
  }

  /** `loadKubeconfig` wrapped; throws KubeconfigError (or a file error) with the reason. */
  static load(opts: LoadOptions = {}): KubeClientConfig {
    return new KubeClientConfig(loadKubeconfig(opts), opts.env ?? process.env);
  }

  getCurrentCluster(): { readonly server: string; readonly proxyUrl?: string } {
    const { server, proxyUrl } = this.resolved.cluster;
    return { server, ...(proxyUrl !== undefined ? { proxyUrl } : {}) };
  }

  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const { cluster, user } = this.resolved;
    if (cluster.ca !== undefined) opts.ca = cluster.ca;
    if (cluster.insecureSkipTlsVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName !== undefined) opts.servername = cluster.tlsServerName;
    if (user.clientCertificate !== undefined && user.clientKey !== undefined) {
      opts.cert = user.clientCertificate;
      opts.key = user.clientKey;
    }
    let authorization: string | undefined;
    if (user.exec) {
      const cred = await this.execCredential(user.exec);
      if (cred.token !== undefined) authorization = `Bearer ${cred.token}`;
      if (cred.clientCertificateData !== undefined && cred.clientKeyData !== undefined) {
        opts.cert = cred.clientCertificateData;
        opts.key = cred.clientKeyData;
      }
    }
    if (authorization === undefined) {
      const token = user.token ?? (user.tokenFile !== undefined ? this.readTokenFile(user.tokenFile) : undefined);
      if (token !== undefined) authorization = `Bearer ${token}`;
      else if (user.username !== undefined) authorization = `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`;
    }
    if (authorization !== undefined) opts.headers = { ...(opts.headers ?? {}), Authorization: authorization };
  }

  async onUnauthorized(): Promise<boolean> {
    const { user } = this.resolved;
    let retry = false;
    if (user.exec && this.execCache) {
      this.execCache = undefined;
      retry = true;
    }
    if (user.tokenFile !== undefined) {
      this.tokenFileCache = undefined;
      retry = true;
    }
    return retry;
  }

  private readTokenFile(file: string): string {
    let key: string;
    try {
      const st = statSync(file);
      key = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch (e) {
      throw new KubeconfigError(`token file ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (this.tokenFileCache?.key === key) return this.tokenFileCache.token;
    const token = readFileSync(file, 'utf8').trim();
    this.tokenFileCache = { key, token };
    return token;
  }

  private async execCredential(exec: ExecConfig): Promise<ExecCredentialStatus> {
    const cached = this.execCache;
    if (cached && (cached.expiresAt === undefined || cached.expiresAt - EXPIRY_MARGIN_MS > Date.now())) return cached;
    // One run at a time: concurrent requests share it.
    this.execRunning ??= runExec(exec, this.resolved.cluster, this.env).finally(() => {
      this.execRunning = undefined;
    });
    const cred = await this.execRunning;
    this.execCache = cred;
    return cred;
  }
}
