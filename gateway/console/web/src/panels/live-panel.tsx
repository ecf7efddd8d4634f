export function LivePanel() {
  return <p className="muted">To do.</p>;
}
