export function BenchmarksPanel() {
  return <p className="muted">To do.</p>;
}
