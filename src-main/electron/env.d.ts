// Module declarations for electron-vite's main-process imports (`*?asset`, `*?modulePath`, …).
/// <reference types="electron-vite/node" />
