import { runRecoveryDaemon } from './main.js';

await runRecoveryDaemon();
