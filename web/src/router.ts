// A tiny history-API router: the server answers every path with index.html.
import { useEffect, useState, type MouseEvent } from 'react';

export type Route =
  | { name: 'month'; month?: string }
  | { name: 'day'; date: string }
  | { name: 'settings' }
  | { name: 'admin' }
  | { name: 'signin' }
  | { name: 'notfound' };

export function parseRoute(pathname: string): Route {
  const parts = pathname.replace(/\/+$/, '').split('/').filter(Boolean);
  if (parts.length === 0) return { name: 'month' };
  const [head, arg] = parts;
  if (head === 'month' && arg && parts.length === 2) return { name: 'month', month: arg };
  if (head === 'day' && arg && parts.length === 2) return { name: 'day', date: arg };
  if (head === 'settings' && parts.length === 1) return { name: 'settings' };
  if (head === 'admin' && parts.length === 1) return { name: 'admin' };
  if (head === 'signin' && parts.length === 1) return { name: 'signin' };
  return { name: 'notfound' };
}

const listeners = new Set<() => void>();

export function navigate(path: string, replace = false): void {
  if (path === window.location.pathname) return;
  if (replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  window.scrollTo(0, 0);
  for (const l of listeners) l();
}

export function usePath(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const update = () => setPath(window.location.pathname);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return path;
}

/** Props for an <a> that navigates without reloading the page. */
export function linkProps(path: string) {
  return {
    href: path,
    onClick: (e: MouseEvent<HTMLAnchorElement>) => {
      if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(path);
    },
  };
}
