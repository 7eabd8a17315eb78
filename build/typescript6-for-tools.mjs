// Tools that read TypeScript through its JavaScript API (dependency-cruiser) get TypeScript 6:
// TypeScript 7, the compiler this project builds with, is native and has no such API.
// Loaded with `node --import`; it only redirects the module name `typescript`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    const redirected =
      specifier === 'typescript' || specifier.startsWith('typescript/') ? specifier.replace(/^typescript/, 'typescript6') : specifier;
    return nextResolve(redirected, context);
  },
});
