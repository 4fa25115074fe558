// Connect clients for the diary API, generated from the same proto files as the server.
// The bearer token lives in memory (and sessionStorage for reloads); it never goes into a URL.
import { Code, ConnectError, createClient, type Client, type Interceptor } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { AuthService } from '../../src/gen/diary/v1/auth_pb';
import { DiaryService, SummaryStatus } from '../../src/gen/diary/v1/diaries_pb';
import { SummaryService } from '../../src/gen/diary/v1/summaries_pb';
import { SettingsService } from '../../src/gen/diary/v1/settings_pb';
import { AdminService } from '../../src/gen/diary/v1/admin_pb';

const TOKEN_KEY = 'diary.token';

let token: string | null = readStoredToken();
const unauthenticatedListeners = new Set<() => void>();

function readStoredToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(value: string | null): void {
  token = value;
  try {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: memory only
  }
}

/** Called when the server rejects the token (expired, secret rotated …). */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

const auth: Interceptor = (next) => async (req) => {
  if (token) req.header.set('Authorization', `Bearer ${token}`);
  try {
    return await next(req);
  } catch (err) {
    const ce = ConnectError.from(err);
    if (ce.code === Code.Unauthenticated && token && req.service.typeName !== AuthService.typeName) {
      setToken(null);
      for (const l of unauthenticatedListeners) l();
    }
    throw err;
  }
};

const transport = createConnectTransport({
  baseUrl: window.location.origin,
  interceptors: [auth],
});

export const authClient: Client<typeof AuthService> = createClient(AuthService, transport);
export const diaryClient: Client<typeof DiaryService> = createClient(DiaryService, transport);
export const summaryClient: Client<typeof SummaryService> = createClient(SummaryService, transport);
export const settingsClient: Client<typeof SettingsService> = createClient(SettingsService, transport);
export const adminClient: Client<typeof AdminService> = createClient(AdminService, transport);

export { Code, ConnectError, SummaryStatus };

/** The status names the UI (and the API docs) use. */
export type StatusName = 'none' | 'queued' | 'processing' | 'batched' | 'done' | 'failed' | 'stale' | 'unspecified';

export function statusName(s: SummaryStatus | undefined): StatusName {
  switch (s) {
    case SummaryStatus.NONE: return 'none';
    case SummaryStatus.QUEUED: return 'queued';
    case SummaryStatus.PROCESSING: return 'processing';
    case SummaryStatus.DONE: return 'done';
    case SummaryStatus.FAILED: return 'failed';
    case SummaryStatus.STALE: return 'stale';
    case SummaryStatus.BATCHED: return 'batched';
    default: return 'unspecified';
  }
}

export function tsDate(ts: Timestamp | undefined): Date | undefined {
  return ts ? timestampDate(ts) : undefined;
}

/** A readable message of any error thrown by a client call. */
export function errorMessage(err: unknown): string {
  const ce = ConnectError.from(err);
  return ce.rawMessage || ce.message;
}

export function errorCode(err: unknown): Code {
  return ConnectError.from(err).code;
}
