import { runBackupDaemon } from './main.js';

await runBackupDaemon();
