export function ClusterPanel() {
  return <p className="muted">To do.</p>;
}
