/** Body schemas of the network routes (v1.41 swagger NetworkCreateRequest, connect, disconnect). */
import type { JSONSchema } from '../../plugins/manifest';
import { bool, nullable, str, strArr, strMap } from './common';

const ipamConfig: JSONSchema = {
  type: 'object',
  properties: { Subnet: str, IPRange: str, Gateway: str, AuxiliaryAddresses: nullable(strMap) },
};

/** `POST /networks/create`. */
export const networkCreateSchema: JSONSchema = {
  type: 'object',
  required: ['Name'],
  properties: {
    Name: { type: 'string', minLength: 1 }, CheckDuplicate: bool, Driver: str, Internal: bool,
    Attachable: bool, Ingress: bool, EnableIPv6: bool, Scope: str, ConfigOnly: bool,
    IPAM: nullable({
      type: 'object',
      properties: { Driver: str, Config: nullable({ type: 'array', items: ipamConfig }), Options: nullable(strMap) },
    }),
    Options: nullable(strMap), Labels: nullable(strMap),
  },
};

const endpointSettings: JSONSchema = nullable({
  type: 'object',
  properties: {
    IPAMConfig: nullable({ type: 'object', properties: { IPv4Address: str, IPv6Address: str, LinkLocalIPs: nullable(strArr) } }),
    Links: nullable(strArr), Aliases: nullable(strArr), NetworkID: str, EndpointID: str, Gateway: str,
    IPAddress: str, MacAddress: str, DriverOpts: nullable(strMap),
  },
});

/** `POST /networks/{id}/connect`. */
export const networkConnectSchema: JSONSchema = {
  type: 'object',
  required: ['Container'],
  properties: { Container: str, EndpointConfig: endpointSettings },
};

/** `POST /networks/{id}/disconnect`. */
export const networkDisconnectSchema: JSONSchema = {
  type: 'object',
  required: ['Container'],
  properties: { Container: str, Force: bool },
};
