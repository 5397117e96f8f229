import { InputError } from '../kit/errors.js';

/** The Argo CD server's root URL: http(s), no credentials, query or fragment; no trailing slash. */
export function parseArgoServer(name: string, raw: string): string {
  const value = raw.trim();
  if (value === '') {
    throw new InputError(
      name,
      'is required and was empty: give the Argo CD server URL, e.g. https://argocd.example.org',
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      name,
      `"${value}" is not a URL: give https://<host>[:port][/path], e.g. https://argocd.example.org`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InputError(
      name,
      `"${value}" is not an http(s) URL: give https://<host>, e.g. https://argocd.example.org`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new InputError(
      name,
      'must be the bare server URL, without credentials, query or fragment: pass the token as argocd-token',
    );
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

// Argo CD application names are Kubernetes object names (DNS-1123 subdomain).
export const ARGOCD_APPLICATION_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;

export function parseArgoApplicationName(name: string, raw: string): string {
  const value = raw.trim();
  if (value === '') {
    throw new InputError(
      name,
      'is required and was empty: give the Argo CD application name, e.g. vsp-cms-dev',
    );
  }
  if (!ARGOCD_APPLICATION_NAME.test(value)) {
    throw new InputError(
      name,
      `"${value}" is not an Argo CD application name: lower-case letters, digits, '-' and '.', e.g. vsp-cms-dev`,
    );
  }
  return value;
}
