// Placeholder page: shown until the real window (Accounts, Campaigns, Progress, Settings)
// arrives in a later release.

export function App() {
  const door = window.trickle ? 'desktop window' : 'browser';
  return (
    <main className="placeholder">
      <div className="placeholder__card">
        <div className="placeholder__mark" aria-hidden="true" />
        <h1 className="placeholder__title">Trickle</h1>
        <p className="placeholder__lead">The sending engine is being built; the window arrives in a later release.</p>
        <p className="placeholder__note">
          Trickle will send a campaign through your own Gmail accounts, a few messages at a time, within each
          account&rsquo;s daily limit.
        </p>
        <p className="placeholder__meta">Running in the {door}.</p>
      </div>
    </main>
  );
}
