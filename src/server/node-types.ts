// The request/response types of a Connect node handler (node:http or node:http2 compatibility
// objects), which @connectrpc/connect-node uses but does not export by name.
import type { connectNodeAdapter } from '@connectrpc/connect-node';

export type NodeHandlerFn = ReturnType<typeof connectNodeAdapter>;
export type NodeServerRequest = Parameters<NodeHandlerFn>[0];
export type NodeServerResponse = Parameters<NodeHandlerFn>[1];
