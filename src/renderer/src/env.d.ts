/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { PreloadBridge } from '../../shared/api';

declare global {
  interface Window {
    /** Present only inside the Electron app (exposed by the preload script). */
    ocellus?: PreloadBridge;
  }
}
