// What the desktop app's own methods answer (desktop.settings.*): its settings and how
// account passwords are protected on this computer.

export type SecretProtection = 'os' | 'weak' | 'unavailable';

export interface SecretStorageStatus {
  /** safeStorage's backend now: 'keychain', 'dpapi', 'gnome_libsecret', 'kwallet5', 'basic_text', … or 'unavailable'. */
  backend: string;
  /** 'os': a real keyring protects passwords; 'weak': basic_text; 'unavailable': safeStorage cannot encrypt. */
  protection: SecretProtection;
  /** The user accepted weaker storage (desktop setting `allowWeakSecretStorage`). */
  weakAccepted: boolean;
  /** New passwords can be saved now. */
  canStore: boolean;
  /** What new passwords are written with: the safeStorage backend, or 'key-file'. */
  writesWith: string;
  /** Set when the last password was written with another backend than the one in use now. */
  previousBackend?: string;
  /** A sentence for the settings page, when something needs the user's attention. */
  message?: string;
}

export interface DesktopSettingsView {
  closeToTray: boolean;
  startAtLogin: boolean;
  allowWeakSecretStorage: boolean;
  /** How account passwords are protected on this computer, and whether new ones can be saved. */
  secretStorage: SecretStorageStatus;
}
