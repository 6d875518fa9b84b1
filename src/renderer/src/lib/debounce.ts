/** Runs `fn` once, `ms` after the last call; each call restarts the wait. */
export function debounced(fn: () => void): (ms: number) => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return (ms: number) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}
