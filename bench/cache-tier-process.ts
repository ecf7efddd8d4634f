// The process `forkCacheTier` starts: measures the one tier it is sent, sends the measurement back, exits.
import { measureCacheTier, type TierRequest } from './cache-tier-measurement.js';

process.once('message', (request) => {
  measureCacheTier(request as TierRequest).then(
    (measurement) => process.send!(measurement, () => process.exit(0)),
    (error: unknown) => {
      console.error('distrag bench cache: the tier measurement failed:', error);
      process.exit(1);
    },
  );
});
