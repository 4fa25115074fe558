// The signed-in user: token in memory + sessionStorage, the user from AuthService.Me.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { MeResponse } from '../../src/gen/diary/v1/auth_pb';
import { authClient, getToken, onUnauthenticated, setToken } from './api';

export interface Session {
  user: MeResponse | null;
  /** True until the stored token (if any) has been checked. */
  checking: boolean;
  signedIn(token: string, user: MeResponse | undefined): Promise<void>;
  signOut(): void;
}

const SessionContext = createContext<Session>({
  user: null,
  checking: false,
  signedIn: async () => {},
  signOut: () => {},
});

export function SessionProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<MeResponse | null>(null);
  const [checking, setChecking] = useState<boolean>(() => getToken() !== null);

  useEffect(() => {
    if (!getToken()) return;
    let cancelled = false;
    authClient
      .me({})
      .then((me) => {
        if (!cancelled) setUser(me);
      })
      .catch(() => {
        if (!cancelled) {
          setToken(null);
          setUser(null);
        }
      })
      .finally(() => {
        if (!cancelled) setChecking(false);
      });
    return () => {
      cancelled = true;
    };
  }, []);

  useEffect(() => onUnauthenticated(() => setUser(null)), []);

  const signedIn = useCallback(async (token: string, me: MeResponse | undefined) => {
    setToken(token);
    setUser(me ?? (await authClient.me({})));
  }, []);

  const signOut = useCallback(() => {
    setToken(null);
    setUser(null);
  }, []);

  const value = useMemo(() => ({ user, checking, signedIn, signOut }), [user, checking, signedIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}
