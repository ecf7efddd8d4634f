import { useCallback, useState, type FormEvent } from 'react';
import { useAction } from '../../api/use-query';
import { ErrorNote } from '../../components/error-note';
import { useConsole } from '../../console-context';
import { clusterApi } from './cluster-api';

/**
 * Adds a worker: an address that answers with the admin credentials, or a new local worker
 * started by the runtime (`addNode(start: true)`, port optional). Disabled in SINGLE mode.
 */
export function AddNodeForm({ citusOnly, onChanged }: { citusOnly: string | null; onChanged: () => void }) {
  const { client } = useConsole();
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [startLocal, setStartLocal] = useState(false);
  const add = useAction(useCallback((args: { host: string | null; port: number | null; start: boolean }) => clusterApi.addNode(client, args).finally(onChanged), [client, onChanged]));
  const portNumber = port.trim() === '' ? null : Number(port);
  const portValid = portNumber === null || (Number.isInteger(portNumber) && portNumber > 0 && portNumber < 65536);
  const ready = citusOnly === null && !add.pending && portValid && (startLocal || (host.trim() !== '' && portNumber !== null));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!ready) return;
    void add.run({ host: startLocal ? null : host.trim(), port: portNumber, start: startLocal }).then((node) => {
      if (node) {
        setHost('');
        setPort('');
      }
    });
  };

  return (
    <form className="row cluster-add-node" onSubmit={submit} data-testid="add-node-form">
      <input aria-label="host" placeholder="host" value={host} onChange={(e) => setHost(e.target.value)} disabled={startLocal || citusOnly !== null} data-testid="add-node-host" size={18} />
      <input
        aria-label="port"
        placeholder={startLocal ? 'port (optional)' : 'port'}
        inputMode="numeric"
        value={port}
        onChange={(e) => setPort(e.target.value)}
        disabled={citusOnly !== null}
        data-testid="add-node-port"
        size={12}
      />
      <label className="cluster-check">
        <input type="checkbox" checked={startLocal} onChange={(e) => setStartLocal(e.target.checked)} disabled={citusOnly !== null} data-testid="add-node-start" /> start a local worker
      </label>
      <button type="submit" disabled={!ready} data-testid="add-node-button" title={citusOnly ?? undefined}>
        {add.pending ? 'Adding…' : 'Add node'}
      </button>
      {!portValid && <span className="cluster-invalid">the port is a number from 1 to 65535</span>}
      {add.result && !add.pending && !add.error && (
        <span className="muted" data-testid="add-node-result">
          Added {add.result.name} ({add.result.host}:{add.result.port}); it takes shards at the next rebalance.
        </span>
      )}
      <div className="cluster-full">
        <ErrorNote error={add.error} />
      </div>
    </form>
  );
}
