import type { Admin } from '@gantry/envoy-xds-proto';
import type { DeepPartial } from '../translator/proto.js';

export interface AdminOptions {
  /** Default 127.0.0.1: the admin API can reconfigure Envoy, keep it off the network. */
  readonly adminAddress?: string;
  /** Default 19000. */
  readonly adminPort?: number;
}

export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1';
export const DEFAULT_ADMIN_PORT = 19000;

export function admin(o: AdminOptions): DeepPartial<Admin> {
  return {
    address: {
      address: {
        $case: 'socketAddress',
        socketAddress: {
          address: o.adminAddress ?? DEFAULT_ADMIN_ADDRESS,
          portSpecifier: { $case: 'portValue', portValue: o.adminPort ?? DEFAULT_ADMIN_PORT },
        },
      },
    },
  };
}
