/** Hash routing: `#/campaigns/12` → ['campaigns', '12']. No router library needed. */
import { useEffect, useState } from 'react';

export type Route =
  | { page: 'progress' }
  | { page: 'campaigns' }
  | { page: 'campaign-new' }
  | { page: 'campaign'; id: number }
  | { page: 'campaign-edit'; id: number }
  | { page: 'accounts' }
  | { page: 'settings' }
  | { page: 'not-found'; path: string };

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').replace(/\/+$/, '');
  const parts = path.split('/').filter(Boolean);
  const [first, second, third] = parts;
  if (!first || first === 'progress') return { page: 'progress' };
  if (first === 'accounts' && !second) return { page: 'accounts' };
  if (first === 'settings' && !second) return { page: 'settings' };
  if (first === 'campaigns') {
    if (!second) return { page: 'campaigns' };
    if (second === 'new' && !third) return { page: 'campaign-new' };
    const id = Number(second);
    if (Number.isInteger(id) && id > 0) {
      if (!third) return { page: 'campaign', id };
      if (third === 'edit') return { page: 'campaign-edit', id };
    }
  }
  return { page: 'not-found', path };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'progress':
      return '#/progress';
    case 'campaigns':
      return '#/campaigns';
    case 'campaign-new':
      return '#/campaigns/new';
    case 'campaign':
      return `#/campaigns/${route.id}`;
    case 'campaign-edit':
      return `#/campaigns/${route.id}/edit`;
    case 'accounts':
      return '#/accounts';
    case 'settings':
      return '#/settings';
    case 'not-found':
      return '#/progress';
  }
}

export function navigate(route: Route, replace = false): void {
  const target = href(route);
  if (replace) history.replaceState(null, '', target);
  else location.hash = target;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}

/** Now, re-rendered every `ms` — for countdowns only; data never polls this fast. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
