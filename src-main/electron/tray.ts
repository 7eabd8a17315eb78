// ELECTRON — the tray status indicator: draws what tray-controller.ts / tray-state.ts decide
// (icon, tooltip, menu) with Electron's Tray, Menu and nativeImage.

import { join } from 'node:path';
import { Menu, type MenuItemConstructorOptions, type NativeImage, Tray, nativeImage } from 'electron';
import type { EngineLogger } from '../engine';
import { type TrayController, type TrayEngine, createTrayController } from './tray-controller';
import { TRAY_ICONS, type TrayAction, type TrayView } from './tray-state';

export interface TrayOptions {
  engine: TrayEngine;
  /** The folder holding tray-*.png (resources/). */
  iconDir: string;
  platform: NodeJS.Platform;
  onOpen: () => void;
  onQuit: () => void;
  log?: EngineLogger;
  debounceMs?: number;
}

export interface TrickleTray {
  controller: TrayController;
  destroy(): void;
}

/**
 * The file for a state's icon. macOS gets the black-and-alpha template image (`…Template.png`),
 * which the menu bar tints for light and dark mode; the others get the coloured one. Electron
 * picks the `@2x` file beside it on high-density screens by itself.
 */
export function trayIconPath(iconDir: string, icon: string, platform: NodeJS.Platform): string {
  return join(iconDir, platform === 'darwin' ? `${icon}Template.png` : `${icon}.png`);
}

/** The Electron menu template for a view; each action item runs through `run`. */
export function trayMenuTemplate(view: TrayView, run: (action: TrayAction) => void): MenuItemConstructorOptions[] {
  return view.menu.map((item): MenuItemConstructorOptions => {
    if (item === null) return { type: 'separator' };
    const action = item.action;
    if (!action) return { label: item.label, enabled: false };
    return { label: item.label, click: () => run(action) };
  });
}

export function createTray(options: TrayOptions): TrickleTray {
  const images = new Map<string, NativeImage>();
  const image = (icon: string): NativeImage => {
    let img = images.get(icon);
    if (!img) {
      img = nativeImage.createFromPath(trayIconPath(options.iconDir, icon, options.platform));
      if (options.platform === 'darwin') img.setTemplateImage(true);
      images.set(icon, img);
    }
    return img;
  };

  const tray = new Tray(image(TRAY_ICONS.idle));
  tray.setToolTip('Trickle');
  let menuKey = '';
  const controller: TrayController = createTrayController({
    engine: options.engine,
    onOpen: options.onOpen,
    onQuit: options.onQuit,
    ...(options.log ? { log: options.log } : {}),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    apply(view) {
      if (tray.isDestroyed()) return;
      tray.setImage(image(view.icon));
      tray.setToolTip(view.tooltip);
      const key = JSON.stringify(view.menu);
      if (key !== menuKey) {
        menuKey = key;
        tray.setContextMenu(Menu.buildFromTemplate(trayMenuTemplate(view, (action) => void controller.run(action))));
      }
    },
  });
  // Windows and most Linux trays: a left click opens the window (macOS opens the menu).
  if (options.platform !== 'darwin') tray.on('click', () => options.onOpen());
  void controller.refresh();

  return {
    controller,
    destroy() {
      controller.dispose();
      if (!tray.isDestroyed()) tray.destroy();
    },
  };
}
