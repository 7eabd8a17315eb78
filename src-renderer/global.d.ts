// The preload bridge's global, as the renderer sees it.

import type { TrickleBridge } from '../src-main/preload/index';

declare global {
  interface Window {
    /** Present in the Electron window (set by the preload bridge); absent in a browser. */
    readonly trickle?: TrickleBridge;
  }
}
