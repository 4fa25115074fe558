// The API as the proto descriptors describe it: every service and method of every generated file
// under src/gen/diary/v1, found by reading the directory, so a new RPC (or a new file) is covered
// by the security suites without anyone listing it.
import { readdirSync } from 'node:fs';
import type { DescFile, DescMethod, DescService } from '@bufbuild/protobuf';
import { PUBLIC_METHODS } from '../../src/server/auth.js';

const GEN = new URL('../../src/gen/diary/v1/', import.meta.url);

export interface Rpc {
  service: DescService;
  method: DescMethod;
  /** "diary.v1.DiaryService/SaveDiary" */
  name: string;
  /** Reachable without a token (sign-up, sign-in). */
  public: boolean;
}

async function files(): Promise<DescFile[]> {
  const out: DescFile[] = [];
  for (const name of readdirSync(GEN).filter((n) => n.endsWith('_pb.ts')).sort()) {
    const mod = (await import(new URL(name, GEN).href)) as Record<string, unknown>;
    for (const value of Object.values(mod)) {
      if (typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'file') out.push(value as DescFile);
    }
  }
  return out;
}

/** Every RPC of the API, in file and declaration order. */
export async function allRpcs(): Promise<Rpc[]> {
  const rpcs: Rpc[] = [];
  for (const file of await files()) {
    for (const service of file.services) {
      for (const method of service.methods) {
        const name = `${service.typeName}/${method.name}`;
        rpcs.push({ service, method, name, public: PUBLIC_METHODS.has(name) });
      }
    }
  }
  if (rpcs.length === 0) throw new Error(`no RPCs found under ${GEN.pathname}`);
  return rpcs;
}
