import { useEffect, useState } from 'react';

export const PANELS = [
  { id: 'ask', label: 'Ask', adminOnly: false },
  { id: 'explore', label: 'Explore', adminOnly: false },
  { id: 'live', label: 'Live', adminOnly: false },
  { id: 'cache', label: 'Cache', adminOnly: false },
  { id: 'cluster', label: 'Cluster', adminOnly: true },
  { id: 'benchmarks', label: 'Benchmarks', adminOnly: false },
] as const;

export type PanelId = (typeof PANELS)[number]['id'];

function panelOf(hash: string): PanelId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/, 1)[0];
  return PANELS.find((p) => p.id === id)?.id ?? 'ask';
}

/** The open panel, from the address's fragment (#/cache): links and the back button work. */
export function usePanelRoute(): PanelId {
  const [panel, setPanel] = useState<PanelId>(() => panelOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setPanel(panelOf(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return panel;
}
