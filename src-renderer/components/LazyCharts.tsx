/**
 * The progress pages' charts, fetched after the page itself (issue 17: the first page carries
 * only what it shows first); each keeps its place with the same loading state meanwhile.
 */
import { Suspense, lazy } from 'react';
import { Loading } from './ui';

const Charts = () => import('./Charts');
const LazySendsPerHour = lazy(() => Charts().then((m) => ({ default: m.SendsPerHour })));
const LazyRecentBatches = lazy(() => Charts().then((m) => ({ default: m.RecentBatches })));

export function SendsPerHour(props: { hours?: number }) {
  return (
    <Suspense fallback={<Loading />}>
      <LazySendsPerHour {...props} />
    </Suspense>
  );
}

export function RecentBatches(props: { limit?: number }) {
  return (
    <Suspense fallback={<Loading />}>
      <LazyRecentBatches {...props} />
    </Suspense>
  );
}
