// One RPC over Connect JSON by its descriptor, with raw fetch: any method, any body, any token,
// and the HTTP status and Connect code as the server answered them.
import type { Rpc } from './descriptors.js';

export interface RpcAnswer {
  status: number;
  /** The Connect error code ("unauthenticated" …), or "ok". */
  code: string;
  /** The response body as text (error message or response message). */
  text: string;
}

export async function callRpc(baseUrl: string, rpc: Rpc, body: string | Uint8Array, token?: string): Promise<RpcAnswer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${baseUrl}/${rpc.name}`, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  let code = 'ok';
  if (res.status !== 200) {
    try {
      code = String((JSON.parse(text) as { code?: unknown }).code ?? 'unknown');
    } catch {
      code = 'unknown';
    }
  }
  return { status: res.status, code, text };
}
