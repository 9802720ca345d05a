import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Server, ServerCredentials, credentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  AggregatedDiscoveryServiceClient,
  AggregatedDiscoveryServiceService,
  CLUSTER_TYPE_URL,
  Cluster,
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
  packAny,
  unpackAnyAs,
  type AggregatedDiscoveryServiceServer,
} from './index.js';

describe('AggregatedDiscoveryService definition', () => {
  it('has the SotW and delta methods at their gRPC paths, both bidi streaming', () => {
    const sotw = AggregatedDiscoveryServiceService.streamAggregatedResources;
    const delta = AggregatedDiscoveryServiceService.deltaAggregatedResources;
    expect(sotw.path).toBe('/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
    expect(delta.path).toBe('/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources');
    for (const method of [sotw, delta]) {
      expect(method.requestStream).toBe(true);
      expect(method.responseStream).toBe(true);
    }
    expect(Object.keys(AggregatedDiscoveryServiceService).sort()).toEqual([
      'deltaAggregatedResources',
      'streamAggregatedResources',
    ]);
  });

  it('serializes requests and responses through the definition', () => {
    const request = DiscoveryRequest.fromPartial({
      typeUrl: CLUSTER_TYPE_URL,
      versionInfo: '3',
      responseNonce: 'n3',
      errorDetail: { code: 3, message: 'bad cluster' },
    });
    const sotw = AggregatedDiscoveryServiceService.streamAggregatedResources;
    expect(sotw.requestDeserialize(sotw.requestSerialize(request))).toEqual(request);
  });
});

// A real grpc-js server and client on loopback: one exchange on each stream kind.
describe('AggregatedDiscoveryService over grpc-js', () => {
  const server = new Server();
  let client: InstanceType<typeof AggregatedDiscoveryServiceClient>;
  const cluster = Cluster.fromPartial({ name: 'web', connectTimeout: { seconds: 1 } });

  const implementation: AggregatedDiscoveryServiceServer = {
    streamAggregatedResources(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) {
      call.on('data', (request: DiscoveryRequest) => {
        call.write(
          DiscoveryResponse.fromPartial({
            versionInfo: '1',
            nonce: 'sotw-1',
            typeUrl: request.typeUrl,
            resources: [packAny(cluster)],
          }),
        );
      });
      call.on('end', () => call.end());
    },
    deltaAggregatedResources(call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) {
      call.on('data', (request: DeltaDiscoveryRequest) => {
        call.write(
          DeltaDiscoveryResponse.fromPartial({
            nonce: 'delta-1',
            typeUrl: request.typeUrl,
            resources: [{ name: 'web', version: 'v1', resource: packAny(cluster) }],
            removedResources: request.resourceNamesUnsubscribe,
          }),
        );
      });
      call.on('end', () => call.end());
    },
  };

  beforeAll(async () => {
    server.addService(AggregatedDiscoveryServiceService, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    client = new AggregatedDiscoveryServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client.close();
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  });

  it('answers a state-of-the-world request', async () => {
    const stream = client.streamAggregatedResources();
    const response = new Promise<DiscoveryResponse>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write(DiscoveryRequest.fromPartial({ typeUrl: CLUSTER_TYPE_URL, node: { id: 'gw-1' } }));
    const received = await response;
    stream.end();
    expect(received.nonce).toBe('sotw-1');
    expect(received.resources).toHaveLength(1);
    const first = received.resources[0];
    if (first === undefined) throw new Error('no resource');
    expect(unpackAnyAs(first, Cluster)).toEqual(cluster);
  });

  it('answers a delta request', async () => {
    const stream = client.deltaAggregatedResources();
    const response = new Promise<DeltaDiscoveryResponse>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write(
      DeltaDiscoveryRequest.fromPartial({
        typeUrl: CLUSTER_TYPE_URL,
        resourceNamesSubscribe: ['web'],
        resourceNamesUnsubscribe: ['old'],
      }),
    );
    const received = await response;
    stream.end();
    expect(received.nonce).toBe('delta-1');
    expect(received.removedResources).toEqual(['old']);
    const resource = received.resources[0]?.resource;
    if (resource === undefined) throw new Error('no resource');
    expect(unpackAnyAs(resource, Cluster)).toEqual(cluster);
  });
});
