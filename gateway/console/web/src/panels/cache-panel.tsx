export function CachePanel() {
  return <p className="muted">To do.</p>;
}
