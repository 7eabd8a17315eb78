// Side-effect stylesheet imports (`import './styles.css'`), bundled by Vite.
declare module '*.css' {}
