// The I/O side of the deployer: server-side apply of a Gateway's rendered objects under Gantry's
// field manager, with force (these fields are ours; whatever another manager changed in them
// is drift, and applying again takes it back), and the Gateway's addresses from its Service.
//
// Objects are owned by the Gateway (ownerReferences), so the garbage collector deletes them with
// it. What the garbage collector cannot know about is removed here: objects left under an old
// name (the Gateway moved to another class of ours) and, through remove(), everything when a
// Gateway stops being ours.
import type { KubernetesObject, V1Service } from '@kubernetes/client-node';
import { KIND_TABLE, type Gateway, type GatewayClass, type GatewayParameters } from '@gantry/api';
import { CORE_KINDS, collectionPath, objectPath, deleteIfUnchanged, errorFromResponse, isJsonObject, requestJson, requestOk, serverSideApply, type JsonObject, type KindRef, type KubeAccess } from '@gantry/kube';
import { serviceAddresses, type ServiceAddresses } from './addresses.js';
import { GATEWAY_NAME_LABEL, MANAGED_BY, MANAGED_BY_LABEL, gatewayNameLabelValue } from './naming.js';
import { referencedParameters, resolveParameters, type ParametersKey } from './parameters.js';
import { renderGatewayResources, type DeployerDefaults, type RenderProblem, type XdsServerAddress } from './render.js';
import { xdsClientSecretName, type XdsClientSecrets } from '../xds-auth/client-secret.js';

export const FIELD_MANAGER = 'gantry';

/** The kinds the deployer creates, in apply order (the Deployment needs its account and bootstrap). */
const OWNED_KINDS: readonly KindRef[] = [
  // The xDS client certificate (authenticated xDS): created, never applied; see xds-auth/.
  CORE_KINDS.Secret,
  CORE_KINDS.ServiceAccount,
  CORE_KINDS.ConfigMap,
  CORE_KINDS.Deployment,
  CORE_KINDS.Service,
  // Only when GatewayParameters ask for them; deleted when they no longer do.
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true },
];

/** The kind of a rendered object (only the kinds the deployer renders). */
function ownedKind(object: KubernetesObject): KindRef {
  const found = OWNED_KINDS.find((k) => k.kind === object.kind && (k.group === '' ? k.version : `${k.group}/${k.version}`) === object.apiVersion);
  if (!found) throw new Error(`the deployer does not apply ${object.apiVersion ?? '?'} ${object.kind ?? '?'}`);
  return found;
}

export type ParametersSource = (key: ParametersKey) => Promise<GatewayParameters | undefined> | GatewayParameters | undefined;

export interface DeployerOptions {
  readonly kubeConfig: KubeAccess;
  readonly xds: XdsServerAddress;
  readonly defaults?: Partial<DeployerDefaults>;
  /** Default `gantry`. */
  readonly fieldManager?: string;
  /**
   * Where GatewayParameters come from: the controller's store when it watches them; by default
   * a GET per reference.
   */
  readonly parameters?: ParametersSource;
  /** Authenticated xDS: each Gateway's Envoys get a client certificate Secret from here. */
  readonly xdsClientSecrets?: XdsClientSecrets;
}

export type ReconcileResult =
  | {
      readonly kind: 'deployed';
      /** Name of the four objects. */
      readonly name: string;
      readonly addresses: ServiceAddresses['addresses'];
      /** A LoadBalancer Service without an address yet (Programmed=False, AddressNotAssigned). */
      readonly addressesPending: boolean;
      /** A requested static address cannot be had (Programmed=False, AddressNotUsable). */
      readonly addressNotUsable?: string;
      /** Objects under an earlier name that were deleted. */
      readonly pruned: readonly string[];
    }
  | {
      readonly kind: 'rejected';
      /** Nothing was applied; existing objects were left alone so running traffic keeps flowing. */
      readonly problems: readonly RenderProblem[];
    };

export class Deployer {
  private readonly fieldManager: string;

  constructor(private readonly opts: DeployerOptions) {
    this.fieldManager = opts.fieldManager ?? FIELD_MANAGER;
  }

  /**
   * Renders and applies the Gateway's objects. API errors are thrown (the caller retries with
   * backoff); GatewayParameters problems come back as values for the status writer.
   */
  async reconcile(gateway: Gateway, gatewayClass: GatewayClass): Promise<ReconcileResult> {
    const fetched = new Map<string, GatewayParameters | undefined>();
    for (const key of referencedParameters(gatewayClass, gateway)) {
      fetched.set(paramsKey(key), await this.fetchParameters(key));
    }
    const resolved = resolveParameters(gatewayClass, gateway, (key) => fetched.get(paramsKey(key)));
    if (resolved.problems.length > 0) return { kind: 'rejected', problems: resolved.problems };

    const input = {
      gateway,
      gatewayClass,
      ...(resolved.classParams ? { classParams: resolved.classParams } : {}),
      ...(resolved.gatewayParams ? { gatewayParams: resolved.gatewayParams } : {}),
      xds: this.opts.xds,
      ...(this.opts.defaults ? { defaults: this.opts.defaults } : {}),
    };
    let rendered = renderGatewayResources(input);
    if (!rendered.ok) return { kind: 'rejected', problems: rendered.problems };
    if (this.opts.xdsClientSecrets) {
      // Before the Deployment: its Pods mount this Secret.
      const infra = rendered.infrastructure;
      const xdsClientSecret = await this.opts.xdsClientSecrets.ensure({
        gatewayKey: `${infra.namespace}/${gateway.metadata.name}`,
        namespace: infra.namespace,
        infrastructureName: infra.name,
        labels: infra.serviceAccount.metadata?.labels ?? {},
        ...(infra.serviceAccount.metadata?.annotations ? { annotations: infra.serviceAccount.metadata.annotations } : {}),
        owner: infra.serviceAccount.metadata?.ownerReferences?.[0] ?? { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: gateway.metadata.name, uid: gateway.metadata.uid ?? '' },
      });
      rendered = renderGatewayResources({ ...input, xdsClientSecret });
      if (!rendered.ok) return { kind: 'rejected', problems: rendered.problems };
    }

    let service: V1Service | undefined;
    for (const object of rendered.objects) {
      const applied = await this.apply(object);
      if (applied.kind === 'Service') service = applied as V1Service;
    }
    const keep = new Set(rendered.objects.map((o) => `${o.kind}/${o.metadata?.name ?? ''}`));
    if (this.opts.xdsClientSecrets) keep.add(`Secret/${xdsClientSecretName(rendered.infrastructure.name)}`);
    const pruned = await this.deleteOwned(gateway, keep);
    const { addresses, pending, notUsable } = service ? serviceAddresses(service, gateway.spec?.addresses) : { addresses: [], pending: true };
    return { kind: 'deployed', name: rendered.infrastructure.name, addresses, addressesPending: pending, ...(notUsable !== undefined ? { addressNotUsable: notUsable } : {}), pruned };
  }

  /** Deletes every object the deployer made for this Gateway (it is no longer ours). */
  async remove(gateway: Gateway): Promise<readonly string[]> {
    return this.deleteOwned(gateway, undefined);
  }

  /** Server-side apply of one object; returns what the API server stored. */
  async apply<T extends KubernetesObject>(object: T): Promise<T> {
    const kind = ownedKind(object);
    const applied = await serverSideApply(this.opts.kubeConfig, kind, object.metadata?.namespace, object as unknown as JsonObject, { fieldManager: this.fieldManager, force: true });
    return applied as unknown as T;
  }

  private async fetchParameters(key: ParametersKey): Promise<GatewayParameters | undefined> {
    if (this.opts.parameters) return this.opts.parameters(key);
    const path = objectPath(KIND_TABLE.GatewayParameters, key.namespace, key.name);
    const r = await requestJson(this.opts.kubeConfig, path);
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300 || !isJsonObject(r.body)) throw errorFromResponse(r.status, r.body, `GET ${path}`);
    return r.body as unknown as GatewayParameters;
  }

  /**
   * Deletes objects this Gateway controls (by owner uid) among those labelled for it, except
   * the ones in `keep` (`Kind/name`). Returns `Kind/name` of each deleted object.
   */
  private async deleteOwned(gateway: Gateway, keep: ReadonlySet<string> | undefined): Promise<string[]> {
    const uid = gateway.metadata.uid;
    const namespace = gateway.metadata.namespace ?? 'default';
    if (!uid) return [];
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${GATEWAY_NAME_LABEL}=${gatewayNameLabelValue(gateway.metadata.name)}`;
    const deleted: string[] = [];
    // Reverse order: the Service stops sending traffic before its Pods go.
    for (const kindRef of [...OWNED_KINDS].reverse()) {
      const { kind } = kindRef;
      const list = await requestOk(this.opts.kubeConfig, collectionPath(kindRef, namespace), { query: { labelSelector: selector } });
      const items = isJsonObject(list) && Array.isArray(list['items']) ? (list['items'] as unknown as KubernetesObject[]) : [];
      for (const item of items) {
        const name = item.metadata?.name;
        if (!name || keep?.has(`${kind}/${name}`)) continue;
        const controlled = (item.metadata?.ownerReferences ?? []).some((o) => o.uid === uid && o.controller === true);
        if (!controlled) continue;
        const itemUid = item.metadata?.uid;
        // Gone or replaced meanwhile: not ours to delete.
        const result = await deleteIfUnchanged(this.opts.kubeConfig, kindRef, namespace, name, itemUid !== undefined ? { uid: itemUid } : {}, 'Background');
        if (result === 'deleted') deleted.push(`${kind}/${name}`);
      }
    }
    return deleted;
  }
}

function paramsKey(key: ParametersKey): string {
  return `${key.namespace}/${key.name}`;
}
