// ConfigMaps, Secrets and service account tokens read from the API server when a Pod starts.
import { CORE_KINDS, objectPath, requestJson, errorFromResponse, isJsonObject, type Json } from '../kube.js';
import type { KubeConfig } from '@kubernetes/client-node';
import type { ConfigMap, Secret } from '../kube-types.js';
import type { ObjectSource, TokenRequest } from './object-source.js';

export class ApiObjectSource implements ObjectSource {
  constructor(private readonly kc: KubeConfig) {}

  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.get<ConfigMap>(objectPath(CORE_KINDS.ConfigMap, namespace, name));
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.get<Secret>(objectPath(CORE_KINDS.Secret, namespace, name));
  }

  async serviceAccountToken(req: TokenRequest): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(req.namespace)}/serviceaccounts/${encodeURIComponent(req.serviceAccount)}/token`;
    const body = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: req.audience ? [req.audience] : [],
        expirationSeconds: req.expirationSeconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: req.podName, uid: req.podUid },
      },
    };
    const r = await requestJson(this.kc, path, { method: 'POST', body });
    const status = isJsonObject(r.body) ? r.body['status'] : undefined;
    const token = isJsonObject(status) ? status['token'] : undefined;
    if (r.status !== 201 && r.status !== 200) throw errorFromResponse(r.status, r.body, `token for ${req.namespace}/${req.serviceAccount}`);
    if (typeof token !== 'string') throw new Error(`no token in the TokenRequest answer for ${req.namespace}/${req.serviceAccount}`);
    return token;
  }

  private async get<T>(path: string): Promise<T | undefined> {
    const r = await requestJson(this.kc, path);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw errorFromResponse(r.status, r.body, `GET ${path}`);
    return r.body as Json as unknown as T;
  }
}
