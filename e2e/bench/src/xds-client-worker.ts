// The bench's stand-in for Envoy: a delta xDS client that subscribes like Envoy and ACKs every
// response. It runs in a worker thread because Envoy runs in a process of its own: decoding
// megabyte responses here must not add to the control plane's heap and garbage collections.
import { parentPort, workerData } from 'node:worker_threads';
import { TypeUrl } from '@gantry/xds';
import { DeltaTestClient } from '@gantry/xds/server/testing/clients';

export interface XdsClientWorkerData {
  readonly port: number;
  readonly gateway: string;
}

const { port, gateway } = workerData as XdsClientWorkerData;
const client = new DeltaTestClient({ port, gateway, nodeId: 'bench', envoyLike: true });
client.subscribe(TypeUrl.Cluster);
client.subscribe(TypeUrl.Listener);
// Responses are ACKed on arrival; nothing reads them afterwards, so keep none.
const drain = setInterval(() => {
  client.clearInbox();
  client.log.length = 0;
}, 50);

parentPort!.once('message', () => {
  clearInterval(drain);
  client.close();
  parentPort!.close();
});
