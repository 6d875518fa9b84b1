/**
 * The colours charts draw with, read from the stylesheet's variables, and a counter that
 * changes when the OS switches between light and dark (canvas charts must redraw then).
 */
class Theme {
  /** Changes whenever the colour scheme does. */
  version = $state(0);

  constructor() {
    if (typeof window !== 'undefined' && window.matchMedia) {
      window
        .matchMedia('(prefers-color-scheme: light)')
        .addEventListener('change', () => this.version++);
    }
  }

  /** A colour variable of the stylesheet, e.g. `chart-1`. */
  colour(name: string): string {
    return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim();
  }

  /** Series colour `n` (1–4) of the charts. */
  series(n: number): string {
    return this.colour(`chart-${n}`);
  }
}

export const theme = new Theme();
