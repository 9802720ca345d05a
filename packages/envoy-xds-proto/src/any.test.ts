import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  Any,
  ApiVersion,
  Cluster,
  Duration,
  HttpConnectionManager,
  LISTENER_TYPE_URL,
  Listener,
  Router,
  UnknownTypeUrlError,
  anyFromEnvoyJson,
  packAny,
  toEnvoyJson,
  unpackAny,
  unpackAnyAs,
  type JsonObject,
} from './index.js';

const HCM_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

function sampleHcm(): HttpConnectionManager {
  return HttpConnectionManager.fromPartial({
    statPrefix: 'http-8080',
    routeSpecifier: {
      $case: 'rds',
      rds: {
        routeConfigName: 'listener~8080',
        configSource: { configSourceSpecifier: { $case: 'ads', ads: {} }, resourceApiVersion: ApiVersion.V3 },
      },
    },
    httpFilters: [
      { name: 'envoy.filters.http.router', configType: { $case: 'typedConfig', typedConfig: packAny(Router.fromPartial({})) } },
    ],
    streamIdleTimeout: { seconds: 5, nanos: 500_000_000 },
  });
}

function sampleListener(): Listener {
  return Listener.fromPartial({
    name: 'listener~8080',
    address: {
      address: {
        $case: 'socketAddress',
        socketAddress: { address: '0.0.0.0', portSpecifier: { $case: 'portValue', portValue: 8080 } },
      },
    },
    filterChains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            configType: { $case: 'typedConfig', typedConfig: packAny(sampleHcm()) },
          },
        ],
      },
    ],
  });
}

describe('packAny / unpackAny', () => {
  it('round-trips a Listener whose filter carries an HttpConnectionManager in an Any', () => {
    const bytes = Listener.encode(sampleListener()).finish();
    const decoded = Listener.decode(bytes);
    expect(decoded).toEqual(sampleListener());

    const filter = decoded.filterChains[0]?.filters[0];
    expect(filter?.configType?.$case).toBe('typedConfig');
    const typedConfig = filter?.configType?.$case === 'typedConfig' ? filter.configType.typedConfig : undefined;
    expect(typedConfig?.typeUrl).toBe(HCM_TYPE_URL);
    if (typedConfig === undefined) throw new Error('typedConfig missing');

    const hcm = unpackAnyAs(typedConfig, HttpConnectionManager);
    expect(hcm).toEqual(sampleHcm());
    expect(hcm.routeSpecifier?.$case === 'rds' && hcm.routeSpecifier.rds.routeConfigName).toBe('listener~8080');
    expect(unpackAny(typedConfig)).toEqual(sampleHcm());
  });

  it('packs pre-encoded bytes under a given type URL', () => {
    const bytes = Listener.encode(sampleListener()).finish();
    const any = packAny(LISTENER_TYPE_URL, bytes);
    expect(any.typeUrl).toBe(LISTENER_TYPE_URL);
    expect(unpackAnyAs(any, Listener)).toEqual(sampleListener());
    expect(Buffer.from(Any.encode(any).finish())).toEqual(Buffer.from(Any.encode(packAny(sampleListener())).finish()));
  });

  it('reports unknown and mismatched type URLs', () => {
    const unknown = packAny('type.googleapis.com/example.v1.Nope', new Uint8Array([8, 1]));
    expect(() => unpackAny(unknown)).toThrow(UnknownTypeUrlError);
    expect(() => toEnvoyJson(unknown)).toThrow(/example\.v1\.Nope/);
    expect(() => unpackAnyAs(packAny(sampleListener()), Cluster)).toThrow(/envoy\.config\.cluster\.v3\.Cluster/);
  });
});

describe('toEnvoyJson', () => {
  it('prints nested Anys with "@type" and parses them back to the same bytes', () => {
    const any = packAny(sampleListener());
    const json = toEnvoyJson(any) as JsonObject;
    expect(json['@type']).toBe(LISTENER_TYPE_URL);
    expect(json).toMatchObject({
      name: 'listener~8080',
      address: { socketAddress: { address: '0.0.0.0', portValue: 8080 } },
      filterChains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.http_connection_manager',
              typedConfig: {
                '@type': HCM_TYPE_URL,
                statPrefix: 'http-8080',
                rds: { routeConfigName: 'listener~8080', configSource: { ads: {}, resourceApiVersion: 'V3' } },
                httpFilters: [
                  {
                    name: 'envoy.filters.http.router',
                    typedConfig: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
                  },
                ],
                streamIdleTimeout: '5.500s',
              },
            },
          ],
        },
      ],
    });

    // Through text, as a file or a ConfigMap would carry it.
    const parsed = JSON.parse(JSON.stringify(json)) as JsonObject;
    const back = anyFromEnvoyJson(parsed);
    expect(back.typeUrl).toBe(LISTENER_TYPE_URL);
    expect(Buffer.from(back.value)).toEqual(Buffer.from(any.value));
    expect(unpackAnyAs(back, Listener)).toEqual(sampleListener());
  });

  it('prints a plain message without "@type" and well-known types in canonical form', () => {
    const cluster = Cluster.fromPartial({
      name: 'backend',
      connectTimeout: { seconds: 2 },
      metadata: { filterMetadata: { gantry: { route: 'default/web', weight: 1 } } },
    });
    const json = toEnvoyJson(cluster);
    expect(json).toEqual({
      name: 'backend',
      connectTimeout: '2s',
      metadata: { filterMetadata: { gantry: { route: 'default/web', weight: 1 } } },
    });
    expect(Cluster.fromJSON(json)).toEqual(cluster);
    expect(toEnvoyJson(packAny(Duration.fromPartial({ seconds: 1, nanos: 5_000_000 })))).toEqual({
      '@type': 'type.googleapis.com/google.protobuf.Duration',
      value: '1.005s',
    });
  });

  it('rejects Envoy JSON without "@type"', () => {
    expect(() => anyFromEnvoyJson({ name: 'x' })).toThrow(/@type/);
  });
});

describe('a process that imports only what it encodes', () => {
  it('loads no other generated file until a type URL it has not loaded is looked up, then resolves it', async () => {
    // A real Node.js process: jest's module runtime cannot `require` an ES module.
    const url = (path: string): string => JSON.stringify(new URL(path, import.meta.url).href);
    const code = [
      `const { packAny, toEnvoyJson, unpackAny } = await import(${url('./any.js')});`,
      `const { Listener } = await import(${url('./generated/envoy/config/listener/v3/listener.js')});`,
      `const { Router } = await import(${url('./generated/envoy/extensions/filters/http/router/v3/router.js')});`,
      `const { messageTypeRegistry } = await import(${url('./generated/typeRegistry.js')});`,
      `const before = messageTypeRegistry.size;`,
      `const json = toEnvoyJson(packAny(Listener.fromPartial({ name: 'l' })));`,
      `const sizeAfterKnown = messageTypeRegistry.size;`,
      // Router's bytes under the Lua type URL: a type no module imported so far.
      `const lua = toEnvoyJson(packAny('type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua', Router.encode(Router.fromPartial({})).finish()));`,
      `let unknown = 'resolved';`,
      `try { unpackAny(packAny('type.googleapis.com/example.v1.Nope', new Uint8Array())); } catch (err) { unknown = err.name; }`,
      `console.log(JSON.stringify({ knownLoadedNothing: sizeAfterKnown === before, all: messageTypeRegistry.size > before + 100, json, lua, unknown }));`,
    ].join('\n');
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', code]);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toEqual({
      knownLoadedNothing: true,
      all: true,
      json: { '@type': LISTENER_TYPE_URL, name: 'l' },
      lua: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua' },
      unknown: 'UnknownTypeUrlError',
    });
  });
});
