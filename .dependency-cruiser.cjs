// The direction of the arrows (docs/ARCHITECTURE.md), checked by dependency-cruiser in `npm test`
// (test/architecture.test.ts) and by `npm run check:deps`. Test files may import anything.

/** The engine's rooms, lowest first: a room imports only rooms before it (and itself). */
const ROOMS = ['core', 'db', 'settings', 'smtp', 'accounts', 'campaigns', 'sending', 'inbox'];

/** A room's operations (what the user asks of it): only engine.ts and the room itself use them. */
const OPERATIONS = [
  'accounts/accounts',
  'campaigns/campaigns',
  'campaigns/campaign-queries',
  'campaigns/campaign-actions',
  'campaigns/campaign-preview',
  'campaigns/campaign-test-send',
  'campaigns/campaign-export',
  'campaigns/campaign-reuse',
  'campaigns/suppressions',
];

const NOT_A_TEST = '\\.test\\.tsx?$';

const roomRules = ROOMS.map((room, i) => {
  const later = ROOMS.slice(i + 1);
  return {
    name: `engine-${room}-imports-only-lower-rooms`,
    comment:
      `The ${room} room may import ${['core', 'db'].includes(room) ? 'only' : ''} ${ROOMS.slice(0, i + 1).join(', ')}` +
      ` (rooms are layered ${ROOMS.join(' < ')}; engine.ts wires them).`,
    severity: 'error',
    from: { path: `^src-main/engine/${room}/`, pathNot: NOT_A_TEST },
    to: {
      path: `^src-main/engine/(${[...later, 'engine\\.ts', 'index\\.ts'].join('|')})`,
    },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere, type-only ones included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'engine-is-plain-node',
      comment: 'The engine (and the migrations) know nothing of the doors, the window, Electron or React.',
      severity: 'error',
      from: { path: '^(src-main/engine|migrations)/' },
      to: {
        path: ['^src-main/(api|headless|electron|preload)/', '^src-renderer/', '(^|/)node_modules/(electron|react|react-dom)/'],
      },
    },
    ...roomRules,
    {
      name: 'engine-rooms-use-each-others-primitives-not-operations',
      comment: "A room may use another room's state primitives, never its operations (those are for engine.ts).",
      severity: 'error',
      from: { path: '^src-main/engine/([^/]+)/', pathNot: NOT_A_TEST },
      to: { path: `^src-main/engine/(${OPERATIONS.join('|')})\\.ts$`, pathNot: '^src-main/engine/$1/' },
    },
    {
      name: 'migrations-import-no-app-values',
      comment: 'A migration is frozen once shipped: it may take types from the app, never code.',
      severity: 'error',
      from: { path: '^migrations/', pathNot: NOT_A_TEST },
      to: { path: '^(src-main|src-renderer|src-shared)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'doors-use-the-engine-through-its-index',
      comment: 'The API and the doors use the engine through src-main/engine/index.ts, its public surface.',
      severity: 'error',
      from: { path: '^src-main/(api|headless|electron|preload)/', pathNot: NOT_A_TEST },
      to: { path: '^src-main/engine/', pathNot: '^src-main/engine/index\\.ts$' },
    },
    {
      name: 'renderer-takes-only-types-from-main',
      comment: 'The window imports types from src-main (the API contract, the preload bridge), never code.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^src-main/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'renderer-knows-only-the-contract',
      comment: 'The window knows src-main only through the API contract and the preload bridge.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '^src-main/', pathNot: '^src-main/(api/contract|preload/index)\\.ts$' },
    },
    {
      name: 'renderer-has-no-electron',
      comment: 'The window runs sandboxed: no Electron, no Node.',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { path: '(^|/)node_modules/electron/' },
    },
    {
      name: 'shared-imports-nothing-of-the-app',
      comment: 'src-shared holds values both sides need; it depends on neither.',
      severity: 'error',
      from: { path: '^src-shared/' },
      to: { path: '^(src-main|src-renderer|migrations)/' },
    },
    {
      name: 'app-code-never-imports-tests',
      comment: 'Test support is for tests.',
      severity: 'error',
      from: { path: '^(src-main|src-renderer|src-shared|migrations)/', pathNot: NOT_A_TEST },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(out|dist|node_modules|test-artifacts)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    skipAnalysisNotInRules: true,
  },
};
