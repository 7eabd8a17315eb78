// electron-builder afterPack hook (electron-builder.yml → afterPack): flips Electron's fuses in
// the packaged binary, before electron-builder signs it. Fuses are switches compiled into the
// Electron executable; turned off here, they close doors that Trickle never uses but that an
// attacker with access to the user's account could:
//
//   RunAsNode off                          ELECTRON_RUN_AS_NODE cannot turn Trickle into a plain Node
//   EnableNodeOptionsEnvironmentVariable   NODE_OPTIONS is ignored (no --require of foreign code)
//   EnableNodeCliInspectArguments off      --inspect / --inspect-brk are ignored (no debugger attach)
//   EnableEmbeddedAsarIntegrityValidation  app.asar must match the hash electron-builder embedded
//   OnlyLoadAppFromAsar on                 the app is loaded from app.asar only, never a loose folder
//   GrantFileProtocolExtraPrivileges off   file:// gets no extra powers (Trickle uses trickle://)
'use strict';
const path = require('node:path');
const { flipFuses, FuseV1Options, FuseVersion } = require('@electron/fuses');

/** The fuse settings, by name. */
const FUSES = Object.freeze({
  RunAsNode: false,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  GrantFileProtocolExtraPrivileges: false,
});

/** The @electron/fuses configuration for one platform ('darwin', 'mas', 'win32', 'linux'). */
function fuseConfig(electronPlatformName) {
  const config = {
    version: FuseVersion.V1,
    // Flipping a fuse breaks a macOS binary's ad-hoc signature; arm64 Macs refuse to run
    // unsigned code, so it is re-signed ad hoc (a real signature, if any, comes after).
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' || electronPlatformName === 'mas',
  };
  for (const [name, value] of Object.entries(FUSES)) config[FuseV1Options[name]] = value;
  return config;
}

/** Where the packaged Electron executable is (the .app bundle on macOS). */
function electronBinaryPath(context) {
  const platform = context.electronPlatformName;
  const packager = context.packager;
  if (platform === 'darwin' || platform === 'mas') return path.join(context.appOutDir, `${packager.appInfo.productFilename}.app`);
  if (platform === 'win32') return path.join(context.appOutDir, `${packager.appInfo.productFilename}.exe`);
  if (platform === 'linux') return path.join(context.appOutDir, packager.executableName);
  throw new Error(`after-pack: unknown platform ${platform}`);
}

async function afterPack(context) {
  const binary = electronBinaryPath(context);
  await flipFuses(binary, fuseConfig(context.electronPlatformName));
  console.log(`  • electron fuses set  file=${binary}`);
}

module.exports = afterPack;
module.exports.FUSES = FUSES;
module.exports.fuseConfig = fuseConfig;
module.exports.electronBinaryPath = electronBinaryPath;
