export function AskPanel() {
  return <p className="muted">To do.</p>;
}
