/**
 * The renderer's Content-Security-Policy, shared by the Electron shell and browser mode.
 * Starts from `default-src 'none'` and opens only what the UI needs.
 */
export function contentSecurityPolicy(extra: { connect?: string[]; img?: string[] } = {}): string {
  const directives: [string, string[]][] = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:', 'blob:', ...(extra.img ?? [])]],
    ['font-src', ["'self'"]],
    ['connect-src', ["'self'", ...(extra.connect ?? [])]],
    ['worker-src', ["'self'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
    ['object-src', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}
